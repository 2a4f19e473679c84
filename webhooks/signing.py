"""Signing of outbound webhook requests, and the check a receiver runs (docs/webhooks.md).

`X-OMS-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. Signing the
timestamp with the body lets a receiver refuse a captured request replayed later.
"""

import hashlib
import hmac
import time

SIGNATURE_SCHEME = "v1"
DEFAULT_TOLERANCE_SECONDS = 300


def sign(*, secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of `"<timestamp>.<body>"` under `secret`."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(*, secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},{SIGNATURE_SCHEME}={sign(secret=secret, timestamp=timestamp, body=body)}"


def verify(
    *,
    secret: str,
    header: str,
    body: bytes,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """True when `header` signs `body` with `secret` and its timestamp is within `tolerance` seconds.

    Compares in constant time. Several `v1=` entries are accepted (any one may match). A malformed
    header (a non-ASCII timestamp such as `t=²`, non-ASCII signature text) is False, never an error.
    """
    timestamp, signatures = None, []
    for part in (header or "").split(","):
        key, _sep, value = part.strip().partition("=")
        # str.isdigit() is also true for "²" and other digits int() refuses; int() also refuses (raises
        # on) thousands of digits, and no timestamp within the tolerance has more than 12.
        if key == "t" and value.isascii() and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif key == SIGNATURE_SCHEME and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = sign(secret=secret, timestamp=timestamp, body=body).encode()
    # As bytes: compare_digest refuses str with non-ASCII characters.
    return any(hmac.compare_digest(expected, candidate.encode(errors="replace")) for candidate in signatures)
