"""Where a webhook may go, and one signed POST to it over a connection pinned to a checked address.

Why pinning: a receiver's DNS can answer with a public address when the URL is registered and
with 127.0.0.1 or 169.254.169.254 (cloud metadata) a second later, when the request is sent. So
each attempt resolves the host itself, refuses unless *every* address it got is allowed, and then
connects to exactly one of those addresses. The hostname still travels where the receiver
expects it: in the Host header and, for https, as the TLS SNI name and the name the certificate
is verified against (urllib3's connection with `server_hostname`; no second lookup happens).

Why a watchdog: socket timeouts bound each read, not the exchange; a receiver trickling one byte
per second would hold a worker for ever. A timer shuts the socket down at the deadline.
"""

import base64
import contextlib
import dataclasses
import http.client
import ipaddress
import socket
import threading
import time
from urllib.parse import unquote, urlsplit

import certifi
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection

DEFAULT_PORTS = {"http": 80, "https": 443}
LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
RESPONSE_CHUNK = 4096
TRANSPORT_ERRORS = (OSError, ValueError, http.client.HTTPException, urllib3.exceptions.HTTPError)


class TargetRefused(Exception):
    """The URL's host is, or resolves to, an address webhooks must not reach (or does not resolve).

    `reason` is one of "address" (a refused address), "unresolvable", "scheme" (plain http where
    only https is allowed); `detail` says which host and addresses, for the attempt log.
    """

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class SendFailed(Exception):
    """The request could not be completed (connection, TLS, timeout, malformed answer)."""


@dataclasses.dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    address: str


# IPv6 ranges whose last 32 bits are an IPv4 address that traffic is translated or tunnelled to.
# Python 3.11's `is_global` judges these by the IPv6 prefix alone (64:ff9b::7f00:1 counts as public),
# so the embedded address is judged as well.
_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # RFC 4291 §2.5.5.1, deprecated
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")  # RFC 2765 (SIIT)
# Never a receiver, whatever is embedded: translation prefixes for a local network only (where the
# IPv4 address may sit at several offsets), and special-purpose ranges Python 3.11 calls global.
_NEVER_GLOBAL_V6 = (
    ipaddress.IPv6Network("64:ff9b:1::/48"),  # RFC 8215 local-use NAT64
    ipaddress.IPv6Network("3fff::/20"),  # RFC 9637 documentation
    ipaddress.IPv6Network("5f00::/16"),  # RFC 9602 SRv6 SIDs
)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address stands for: IPv4-mapped, IPv4-translated, IPv4-compatible,
    NAT64 (well-known prefix), 6to4 and Teredo (server and client)."""
    found = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
    if any(ip in network for network in (_NAT64_WELL_KNOWN, _IPV4_COMPATIBLE, _IPV4_TRANSLATED)):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [address for address in found if address is not None]


def address_allowed(address: str, *, allow_private: bool) -> bool:
    """Whether webhooks may connect to `address` (an IP literal).

    Link-local (cloud metadata at 169.254.169.254), multicast and unspecified addresses are never
    a receiver. Everything else must be globally routable (`ipaddress` is_global: not private,
    loopback, reserved, shared/CGNAT 100.64/10 …) unless private targets are allowed (local
    development and tests). An IPv6 address embedding an IPv4 one (embedded_ipv4) is judged by both;
    IPv4-compatible addresses (deprecated, never a real receiver) and local-use NAT64 are refused.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    candidates = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        candidates += embedded_ipv4(ip)
        if not allow_private and (
            (ip in _IPV4_COMPATIBLE) or any(ip in network for network in _NEVER_GLOBAL_V6)
        ):
            return False
    for candidate in candidates:
        if candidate.is_link_local or candidate.is_multicast or candidate.is_unspecified:
            return False
        if not allow_private and not candidate.is_global:
            return False
    return True


def _is_local_name(host: str) -> bool:
    return host in LOCAL_NAMES or host.endswith(".localhost")


def literal_address(host: str) -> str | None:
    """`host` as an IP literal, or None when it is a name."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def check_host(host: str, *, allow_private: bool) -> None:
    """Refuse a host that is obviously not a receiver, without resolving it.

    A literal private address or localhost is refused here.
    """
    host = host.rstrip(".").lower()
    address = literal_address(host)
    if address is not None:
        if not address_allowed(address, allow_private=allow_private):
            raise TargetRefused("address", f"{host} is not a public address")
    elif _is_local_name(host) and not allow_private:
        raise TargetRefused("address", f"{host} is this machine")


def resolve(host: str, port: int, *, allow_private: bool) -> list[str]:
    """The addresses `host` resolves to, in resolver order; refused unless every one is allowed.

    Raises TargetRefused ("unresolvable" when the lookup fails or finds nothing).
    """
    check_host(host, allow_private=allow_private)
    host = host.rstrip(".").lower()
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise TargetRefused("unresolvable", f"{host} could not be resolved ({exc})") from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise TargetRefused("unresolvable", f"{host} resolved to no address")
    refused = [address for address in addresses if not address_allowed(address, allow_private=allow_private)]
    if refused:
        raise TargetRefused("address", f"{host} resolves to a non-public address ({', '.join(refused)})")
    return addresses


def _host_header(host: str, port: int, scheme: str) -> str:
    name = f"[{host}]" if ":" in host else host
    return name if port == DEFAULT_PORTS[scheme] else f"{name}:{port}"


class _PeerCheckedMixin:
    """Checks the address the socket is actually connected to before a byte (or a TLS hello) is sent.

    The address was checked before connecting; this is the last word on it, whatever the socket
    layer made of the literal (an IPv4-mapped address on a dual-stack socket, a NAT64 gateway).
    """

    allow_private = False

    def _new_conn(self):
        sock = super()._new_conn()
        try:
            peer = sock.getpeername()[0]
        except OSError:
            sock.close()
            raise
        if not address_allowed(peer, allow_private=self.allow_private):
            sock.close()
            raise TargetRefused("address", f"{self.host} connected to a non-public address ({peer})")
        return sock


class _CheckedHTTPConnection(_PeerCheckedMixin, HTTPConnection):
    pass


class _CheckedHTTPSConnection(_PeerCheckedMixin, HTTPSConnection):
    pass


def _connection(
    scheme: str, address: str, port: int, host: str, *, timeout: float, ca_bundle: str, allow_private: bool
):
    if scheme == "https":
        # server_hostname: the SNI name, and (check_hostname stays on) the name the certificate must carry.
        connection = _CheckedHTTPSConnection(
            address,
            port,
            timeout=timeout,
            server_hostname=host.rstrip("."),
            cert_reqs="CERT_REQUIRED",
            ca_certs=ca_bundle,
        )
    else:
        connection = _CheckedHTTPConnection(address, port, timeout=timeout)
    connection.allow_private = allow_private
    return connection


def post(
    url: str,
    *,
    body: bytes,
    headers: dict[str, str],
    allow_private: bool,
    connect_timeout: float,
    read_timeout: float,
    total_timeout: float,
    max_response_bytes: int,
    ca_bundle: str | None = None,
) -> Answer:
    """POST `body` to `url` once, without redirects, connecting only to a checked address.

    Without `allow_private` only https is sent. Resolves the host and refuses (TargetRefused,
    before any connection) unless every address is allowed; the address the socket actually
    connected to is checked again before anything is sent (TargetRefused too). Tries the
    addresses in order until one accepts a connection. The whole exchange — connect, send, status
    line and headers, and reading at most `max_response_bytes` of the body (then the connection
    is dropped) — ends after `total_timeout` seconds; each connect and each read also has its own
    timeout. Userinfo in the URL becomes HTTP basic authentication.
    Raises TargetRefused, SendFailed.
    """
    parts = urlsplit(url)
    scheme, host = parts.scheme, parts.hostname or ""
    port = parts.port or DEFAULT_PORTS[scheme]
    if scheme != "https" and not allow_private:
        raise TargetRefused("scheme", f"plain {scheme}:// is not allowed, only https://")
    deadline = time.monotonic() + total_timeout
    addresses = resolve(host, port, allow_private=allow_private)
    request_headers = {"Host": _host_header(host, port, scheme), **headers}
    if parts.username is not None:
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        request_headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode()
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    errors = []
    for address in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        connection = _connection(
            scheme,
            address,
            port,
            host,
            timeout=min(connect_timeout, remaining),
            ca_bundle=ca_bundle or certifi.where(),
            allow_private=allow_private,
        )
        try:
            connection.connect()
        except TRANSPORT_ERRORS as exc:
            connection.close()
            errors.append(f"{type(exc).__name__}: {exc}")
            continue
        except TargetRefused:
            connection.close()
            raise
        return _exchange(
            connection,
            address=address,
            target=target,
            body=body,
            headers=request_headers,
            read_timeout=read_timeout,
            deadline=deadline,
            total_timeout=total_timeout,
            max_response_bytes=max_response_bytes,
        )
    raise SendFailed("; ".join(errors) or f"Timed out: no connection within {total_timeout:g} s")


def _exchange(
    connection,
    *,
    address: str,
    target: str,
    body: bytes,
    headers: dict[str, str],
    read_timeout: float,
    deadline: float,
    total_timeout: float,
    max_response_bytes: int,
) -> Answer:
    expired = threading.Event()
    sock = connection.sock

    def cut():
        expired.set()
        # The plain socket's shutdown, also under TLS: it wakes a read blocked in the sending thread.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)

    watchdog = threading.Timer(max(deadline - time.monotonic(), 0), cut)
    watchdog.daemon = True
    watchdog.start()
    try:
        try:
            connection.timeout = read_timeout
            connection.request("POST", target, body=body, headers=headers, preload_content=False)
            response = connection.getresponse()
        except TRANSPORT_ERRORS as exc:
            if expired.is_set():
                raise SendFailed(f"Timed out: no answer within {total_timeout:g} s") from exc
            raise SendFailed(f"{type(exc).__name__}: {exc}") from exc
        # The status line decides the attempt; the body is read only so that the receiver can
        # finish writing, and never beyond the size limit or the deadline.
        with contextlib.suppress(*TRANSPORT_ERRORS):
            read = 0
            while read < max_response_bytes and not expired.is_set():
                chunk = response.read(min(RESPONSE_CHUNK, max_response_bytes - read))
                if not chunk:
                    break
                read += len(chunk)
        return Answer(status=response.status, reason=response.reason or "", address=address)
    finally:
        watchdog.cancel()
        connection.close()
