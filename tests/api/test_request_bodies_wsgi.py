"""Hostile bodies sent over a raw socket to gunicorn (what production runs) and to Django's own WSGI
server (the live server): the test client hides how a server hands Django a chunked body.

On main before this change a chunked order was read as empty (400 "lines: required"), a declared
length over API_MAX_BODY_BYTES was Django's HTML 400, and deeply nested JSON a 500.
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from crm.tests.factories import AddressFactory, CustomerFactory, dealer_user
from inventory.tests.factories import ProductFactory
from orders.models import Order
from restapi.services import api_token_create

ROOT = Path(__file__).resolve().parent.parent.parent
START_SECONDS = 60
pytestmark = [pytest.mark.postgres]


def _database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{db['NAME']}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def gunicorn(django_db_setup, tmp_path_factory):
    """gunicorn serving the test database, as config.wsgi runs in production; yields its base URL."""
    port = _free_port()
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "DB_CONN_MAX_AGE": "0",
        "REDIS_URL": settings.REDIS_URL,
    }
    command = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    with log.open("w") as out:
        process = subprocess.Popen([*command, "--workers", "1"], cwd=ROOT, env=env, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not start:\n{log.read_text()}")
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(params=["gunicorn", "django"])
def server(request):
    """The base URL of each real WSGI server in turn."""
    if request.param == "gunicorn":
        return request.getfixturevalue("gunicorn")
    return request.getfixturevalue("live_server").url


@pytest.fixture
def key(transactional_db):
    customer = CustomerFactory()
    AddressFactory(customer=customer)
    _token, key = api_token_create(user=dealer_user(customer))
    return key


def raw(base_url: str, head: list[str], body: bytes = b"") -> tuple[int, dict, bytes]:
    """Send exactly these bytes (request line and headers, then `body`) and read the one response."""
    host_port = base_url.removeprefix("http://")
    host, port = host_port.split(":")
    message = "\r\n".join([*head, f"Host: {host_port}", "Connection: close", "", ""]).encode() + body
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(message)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, dict(response.getheaders()), response.read()


def order_json() -> bytes:
    return json.dumps({"lines": [{"sku": ProductFactory().sku, "quantity": 1}]}).encode()


def chunked(data: bytes, size: int = 16) -> bytes:
    pieces = [data[i : i + size] for i in range(0, len(data), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"


def test_a_chunked_order_is_refused_with_411_not_read_as_empty(server, key):
    status, headers, body = raw(
        server,
        [
            "POST /api/v1/orders/ HTTP/1.1",
            f"Authorization: Token {key}",
            "Content-Type: application/json",
            "Transfer-Encoding: chunked",
        ],
        chunked(order_json()),
    )

    assert status == 411, body
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {
        "code": "length_required",
        "message": "Send the request body with a Content-Length header; chunked bodies are not accepted.",
        "fields": {},
        "extra": {},
    }
    assert not Order.objects.exists()


def test_a_declared_length_over_the_limit_is_a_413_answered_without_reading_the_body(server, key):
    # Nothing after the headers is sent: a server that waited for the body would time out here.
    status, headers, body = raw(
        server,
        [
            "POST /api/v1/orders/ HTTP/1.1",
            f"Authorization: Token {key}",
            "Content-Type: application/json",
            f"Content-Length: {settings.API_MAX_BODY_BYTES + 1}",
        ],
    )

    assert status == 413, body
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["code"] == "request_too_large"
    assert set(json.loads(body)) == {"code", "message", "fields", "extra"}
    assert not Order.objects.exists()


def test_deeply_nested_json_is_a_400_through_the_server(server, key):
    nested = b"[" * 50000 + b"]" * 50000

    status, _headers, body = raw(
        server,
        [
            "POST /api/v1/orders/ HTTP/1.1",
            f"Authorization: Token {key}",
            "Content-Type: application/json",
            f"Content-Length: {len(nested)}",
        ],
        nested,
    )

    assert status == 400, body
    assert json.loads(body)["code"] == "parse_error"
    assert not Order.objects.exists()
