"""`Idempotency-Key` for unsafe API requests: a retry gets the original response, never a second write.

How a keyed request runs:
1. Its key row (scope, key, request hash, no response yet) is inserted and committed on its own.
   The unique (scope, key) constraint is the backstop: of two concurrent requests with one key,
   exactly one inserts the row; the other waits for that row's stored response and replays it.
2. The handler runs inside one transaction together with storing its response on the key row, so
   a crash leaves either both the write and the stored response, or neither. That transaction holds
   the key row's lock: a key still without a response after STALE_AFTER is taken over only when no
   running request holds the lock (a slow request is never run twice).
3. What is stored follows Stripe: the result of a request that was carried out or refused by a
   business rule (2xx, 409, 422) is kept and replayed for the key's lifetime. A request refused
   before anything could happen — invalid input (400), 401/403/404, 413, 415, 429 — and any server
   error (5xx) leaves nothing behind, so the client may fix the input and retry with the same key.

Same key, same request (method, path, If-Match and canonical JSON body): the stored response, with the
header `Idempotent-Replayed: true`. Same key, different request: 422 `idempotency_key_mismatch`.
Still running after settings.IDEMPOTENCY_WAIT_SECONDS: 409 `idempotency_request_in_progress` with
Retry-After. Keys are kept IDEMPOTENCY_KEY_TTL_HOURS (restapi.services.idempotency_key_purge); a key
older than that is treated as new.
"""

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from core.errors import Conflict, DomainError
from restapi.models import IdempotencyKey
from restapi.services import (
    idempotency_key_claim,
    idempotency_key_expire,
    idempotency_key_lock,
    idempotency_key_release,
    idempotency_key_store,
    idempotency_key_take_over,
)

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
STALE_AFTER = dt.timedelta(seconds=60)
POLL_INTERVAL = 0.05
REPLAYED_HEADER = "Idempotent-Replayed"
# Response headers worth replaying along with the body.
KEPT_HEADERS = ("Location", "ETag")


class IdempotencyKeyMismatch(DomainError):
    code = "idempotency_key_mismatch"
    status = 422
    default_message = _("This Idempotency-Key was already used for a different request. Use a new key.")


class IdempotentRequestInProgress(Conflict):
    code = "idempotency_request_in_progress"
    default_message = _("A request with this Idempotency-Key is still being processed. Retry shortly.")


def scope_for(customer_ids: list[int]) -> str:
    """The key namespace of a dealer: its sorted customer ids (hashed when too long for the column)."""
    scope = "dealer:" + ",".join(str(pk) for pk in customer_ids)
    if len(scope) > 64:
        scope = "dealer#" + hashlib.sha256(scope.encode()).hexdigest()[:57]
    return scope


def is_stored(status_code: int) -> bool:
    return 200 <= status_code < 300 or status_code in (409, 422)


def request_hash(request) -> str:
    data = request.data
    if isinstance(data, QueryDict):
        data = {key: data.getlist(key) for key in sorted(data)}
    body = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    # If-Match is part of the request: the same edit against another version is a different request.
    raw = f"{request.method}\n{request.get_full_path()}\n{request.headers.get('If-Match', '')}\n{body}"
    return hashlib.sha256(raw.encode()).hexdigest()


def _key_from(request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not all(" " <= ch <= "~" for ch in key):
        raise exceptions.ValidationError(
            {
                HEADER: [
                    _("Use 1 to %(max)d printable ASCII characters, e.g. a UUID.") % {"max": MAX_KEY_LENGTH}
                ]
            }
        )
    return key


def _replay(record: IdempotencyKey) -> Response:
    stored = record.response_body or {}
    headers = {name: value for name, value in (stored.get("headers") or {}).items() if name in KEPT_HEADERS}
    headers[REPLAYED_HEADER] = "true"
    return Response(stored.get("body"), status=record.response_status, headers=headers)


def _store(record: IdempotencyKey, response: Response) -> None:
    body = json.loads(JSONRenderer().render(response.data)) if response.data is not None else None
    headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
    idempotency_key_store(
        key_id=record.pk, status=response.status_code, body={"headers": headers, "body": body}
    )


def _release(record: IdempotencyKey) -> None:
    idempotency_key_release(key_id=record.pk)


def _busy() -> Response:
    busy = IdempotentRequestInProgress()
    return Response(busy.as_dict(), status=busy.status, headers={"Retry-After": "1"})


def _acquire(scope: str, key: str, digest: str) -> tuple[IdempotencyKey | None, Response | None]:
    """Own the key (record, None) or get the response to answer with instead (None, response)."""
    deadline = time.monotonic() + settings.IDEMPOTENCY_WAIT_SECONDS
    while True:
        record = idempotency_key_claim(scope=scope, key=key, request_hash=digest)
        if record is not None:
            return record, None
        existing = IdempotencyKey.objects.filter(scope=scope, key=key).first()
        now = timezone.now()
        if existing is not None and existing.created_at < now - dt.timedelta(
            hours=settings.IDEMPOTENCY_KEY_TTL_HOURS
        ):
            idempotency_key_expire(key_id=existing.pk, created_at=existing.created_at)
            existing = None
        if existing is not None:
            if existing.request_hash != digest:
                raise IdempotencyKeyMismatch()
            if existing.response_status is not None:
                return None, _replay(existing)
            if existing.created_at < now - STALE_AFTER:
                # Only a request that died lets go of the row lock; a slow one keeps its key.
                taken = idempotency_key_take_over(key_id=existing.pk)
                if taken is not None:
                    return taken, None
        if time.monotonic() >= deadline:
            return None, _busy()
        if existing is not None:
            time.sleep(POLL_INTERVAL)
        # else: the other request released or expired the key a moment ago; claim it again at once


def idempotent(view, request, *, scope: str, handler: Callable[[], Response]) -> Response:
    """Run `handler` at most once per (scope, Idempotency-Key); without the header, just run it.

    `view` is the DRF view: its `handle_exception` turns the handler's errors into responses so
    that refusals by business rules (409, 422) can be stored like successes.
    """
    key = _key_from(request)
    if key is None:
        return handler()
    digest = request_hash(request)
    record, answer = _acquire(scope, key, digest)
    if answer is not None:
        return answer
    try:
        # The write and its stored response commit together (see the module docstring); the key's row
        # lock, held to that commit, tells waiters this request is alive.
        with transaction.atomic():
            idempotency_key_lock(key_id=record.pk)
            try:
                response = handler()
            except Exception as exc:
                response = view.handle_exception(exc)
            if is_stored(response.status_code):
                _store(record, response)
            else:
                _release(record)
    except BaseException:
        _release(record)
        raise
    return response
