"""A real webhook receiver for tests: an HTTP(S) server on 127.0.0.1 that checks signatures.

It answers each POST with the next scripted status (200 once the script is used up) and records
what it saw, including whether the signature verified with the endpoint's secret, how many
connections it accepted and (over TLS) the SNI name each client asked for.
"""

import json
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from webhooks.signing import verify


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    signature_ok: bool

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    secret: str = ""
    statuses: list[int] = field(default_factory=list)
    delay_seconds: float = 0.0
    received: list[Received] = field(default_factory=list)
    url: str = ""
    port: int = 0
    connections: int = 0
    server_names: list[str | None] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def respond_with(self, *statuses: int) -> None:
        self.statuses = list(statuses)

    def record(self, path: str, headers: dict, body: bytes) -> int:
        with self._lock:
            self.received.append(
                Received(
                    path=path,
                    headers=headers,
                    body=body,
                    signature_ok=verify(
                        secret=self.secret, header=headers.get("X-OMS-Signature", ""), body=body
                    ),
                )
            )
            return self.statuses.pop(0) if self.statuses else 200


def start_receiver(tls: ssl.SSLContext | None = None) -> tuple[Receiver, ThreadingHTTPServer]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if receiver.delay_seconds:
                time.sleep(receiver.delay_seconds)
            status = receiver.record(self.path, dict(self.headers.items()), body)
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format, *args):
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def get_request(self):
            sock, address = super().get_request()
            with receiver._lock:
                receiver.connections += 1
            if tls is not None:
                # A failed handshake raises OSError here, which the server drops quietly.
                sock = tls.wrap_socket(sock, server_side=True)
            return sock, address

    if tls is not None:
        tls.sni_callback = lambda _sock, name, _context: receiver.server_names.append(name)
    server = Server(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    receiver.url = f"{'https' if tls else 'http'}://127.0.0.1:{receiver.port}/hooks/oms"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver, server
