"""At send time the host is resolved and checked again, the connection goes to the address that was
checked (Host header, SNI and certificate name stay the registered host), and the whole exchange has
a deadline."""

import shutil
import socket
import ssl
import subprocess
import threading
import time

import certifi
import pytest

from webhooks.models import DeliveryStatus, WebhookAttempt, WebhookEndpoint
from webhooks.services import webhook_delivery_attempt
from webhooks.tests.factories import WebhookDeliveryFactory, WebhookEndpointFactory
from webhooks.tests.receiver import start_receiver

HOST = "hooks.dealer.example"


def _delivery(url: str, receiver=None):
    endpoint = WebhookEndpointFactory(url=url)
    if receiver is not None:
        receiver.secret = endpoint.secret
    return WebhookDeliveryFactory(endpoint=endpoint)


@pytest.fixture
def no_connections(monkeypatch):
    """Fails the test's delivery if any outgoing socket connection is attempted; records them."""
    attempts = []

    def connect(self, address):
        attempts.append(address)
        raise AssertionError(f"connected to {address}")

    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts


@pytest.mark.django_db
@pytest.mark.usefixtures("public_targets_only")
def test_a_delivery_whose_host_now_resolves_to_loopback_is_refused_without_a_connection(receiver, fake_dns):
    # Registered while the name pointed elsewhere; DNS now answers with this machine.
    fake_dns[HOST] = ["127.0.0.1"]
    delivery = _delivery(f"https://{HOST}:{receiver.port}/hooks/oms", receiver)

    result = webhook_delivery_attempt(delivery_id=delivery.pk)

    assert receiver.connections == 0
    assert receiver.received == []
    assert result.status == DeliveryStatus.PENDING
    assert result.attempts == 1
    assert result.leased_until is None
    assert result.last_response_code is None
    assert result.last_error.startswith("Refused, nothing sent:")
    assert "127.0.0.1" in result.last_error
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert attempt.response_code is None
    assert attempt.error == result.last_error
    assert WebhookEndpoint.objects.get(pk=delivery.endpoint_id).consecutive_failures == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("public_targets_only")
@pytest.mark.parametrize(
    ("url", "answer"),
    [
        (f"https://{HOST}/hook", ["10.0.0.5"]),
        (f"https://{HOST}/hook", ["169.254.169.254"]),
        (f"https://{HOST}/hook", ["93.184.215.14", "192.168.1.1"]),
        (f"https://{HOST}/hook", None),
        ("https://169.254.169.254/latest/meta-data", None),
        ("https://localhost/hook", None),
        ("http://93.184.215.14/hook", None),
    ],
)
def test_a_delivery_to_a_non_public_or_unresolvable_target_fails_without_any_connection(
    url, answer, fake_dns, no_connections
):
    fake_dns[HOST] = answer
    delivery = _delivery(url)

    result = webhook_delivery_attempt(delivery_id=delivery.pk)

    assert no_connections == []
    assert result.status == DeliveryStatus.PENDING
    assert result.last_response_code is None
    assert result.last_error.startswith("Refused, nothing sent:")
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == 1


@pytest.mark.django_db
def test_the_request_goes_to_the_checked_address_with_the_registered_host_in_the_host_header(
    receiver, fake_dns
):
    # A second lookup would answer with an address nobody listens on: the send must not make one.
    fake_dns[HOST] = [["127.0.0.1"], ["10.255.255.1"]]
    delivery = _delivery(f"http://{HOST}:{receiver.port}/hooks/oms?src=oms", receiver)

    result = webhook_delivery_attempt(delivery_id=delivery.pk)

    assert result.status == DeliveryStatus.SUCCEEDED
    assert fake_dns.lookups == {HOST: 1}
    [request] = receiver.received
    assert request.signature_ok
    assert request.path == "/hooks/oms?src=oms"
    assert request.headers["Host"] == f"{HOST}:{receiver.port}"


@pytest.mark.django_db
def test_the_next_checked_address_is_tried_when_one_refuses_the_connection(receiver, fake_dns):
    fake_dns[HOST] = ["127.0.0.2", "127.0.0.1"]  # the receiver listens on 127.0.0.1 only
    delivery = _delivery(f"http://{HOST}:{receiver.port}/hooks/oms", receiver)

    result = webhook_delivery_attempt(delivery_id=delivery.pk)

    assert result.status == DeliveryStatus.SUCCEEDED
    assert len(receiver.received) == 1


@pytest.fixture
def tls_receiver(tmp_path, monkeypatch):
    """Start an HTTPS receiver whose self-signed certificate names `cert_name`; the sender trusts only it."""
    if not shutil.which("openssl"):
        pytest.skip("needs the openssl command to make a certificate")
    servers = []

    def start(cert_name: str):
        cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                str(key),
                "-out",
                str(cert),
                "-days",
                "2",
                "-subj",
                f"/CN={cert_name}",
                "-addext",
                f"subjectAltName=DNS:{cert_name}",
            ],
            check=True,
            capture_output=True,
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        monkeypatch.setattr(certifi, "where", lambda: str(cert))
        receiver, server = start_receiver(tls=context)
        servers.append(server)
        return receiver

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.django_db
def test_https_to_the_pinned_address_sends_sni_and_verifies_the_certificate_for_the_host_name(
    tls_receiver, fake_dns
):
    receiver = tls_receiver(HOST)
    fake_dns[HOST] = ["127.0.0.1"]
    delivery = _delivery(f"https://{HOST}:{receiver.port}/hooks/oms", receiver)

    result = webhook_delivery_attempt(delivery_id=delivery.pk)

    assert result.status == DeliveryStatus.SUCCEEDED, result.last_error
    assert receiver.server_names == [HOST]
    [request] = receiver.received
    assert request.signature_ok
    assert request.headers["Host"] == f"{HOST}:{receiver.port}"


@pytest.mark.django_db
def test_a_certificate_for_another_name_fails_the_attempt_and_sends_nothing(tls_receiver, fake_dns):
    receiver = tls_receiver("someone-else.example")
    fake_dns[HOST] = ["127.0.0.1"]
    delivery = _delivery(f"https://{HOST}:{receiver.port}/hooks/oms", receiver)

    result = webhook_delivery_attempt(delivery_id=delivery.pk)

    assert result.status == DeliveryStatus.PENDING
    assert result.last_response_code is None
    assert "certificate" in result.last_error.lower()
    assert receiver.received == []


@pytest.fixture
def trickling_url():
    """A server that reads the request, then answers one byte every 0.2 s: no single read ever times out."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(10)
    done = threading.Event()

    def serve():
        try:
            conn, _address = server.accept()
        except OSError:
            return
        with conn:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 200:
                if done.is_set():
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return
                time.sleep(0.2)

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/hook"
    done.set()
    server.close()


@pytest.mark.django_db
def test_a_receiver_that_trickles_its_answer_is_cut_off_at_the_deadline(trickling_url, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1  # deadline: 1 s to connect + 1 s for the answer
    delivery = _delivery(trickling_url)

    started = time.monotonic()
    result = webhook_delivery_attempt(delivery_id=delivery.pk)
    elapsed = time.monotonic() - started

    assert result.status == DeliveryStatus.PENDING
    assert result.last_response_code is None
    assert result.last_error.startswith("Timed out")
    assert 1.5 < elapsed < 4
