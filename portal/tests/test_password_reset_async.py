"""The reset mail is sent by a worker, from a durable event, and the reset form is rate limited
(issue #7; ASVS 2.2.1, 2.5.x).

On main the view rendered and sent the mail inside the request (the SMTP server's speed and whether
the address had an account showed in the response time) and any number of requests was answered:
every test here failed there.
"""

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.test import Client

from config.cache import cache_reset
from core.models import OutboxEvent
from portal.tests.conftest import make_user, run_workers

RESET = "/portal/password-reset/"
SENT = "/portal/password-reset/sent/"


class SmtpMustNotBeTouched(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise AssertionError("the request talked to the mail server")


def ask(email, address="203.0.113.5", language=None):
    client = Client(REMOTE_ADDR=address)
    if language:
        client.cookies["django_language"] = language
    return client.post(RESET, {"email": email})


def reset_events():
    return list(OutboxEvent.objects.filter(name="user.password_reset_requested"))


@pytest.fixture
def walter(db):
    return make_user("walter", email="walter@example.com")


@pytest.mark.django_db
def test_the_request_records_an_event_without_the_token_and_touches_no_mail_server(
    settings, walter, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "portal.tests.test_password_reset_async.SmtpMustNotBeTouched"

    # The fast path runs after commit and queues the task on the (in-memory) broker; no worker runs.
    with django_capture_on_commit_callbacks(execute=True):
        response = ask("walter@example.com")

    assert (response.status_code, response["Location"]) == (302, SENT)
    (event,) = reset_events()
    assert event.payload == {
        "user_id": walter.pk,
        "domain": "testserver",
        "protocol": "http",
        "language": "en",
    }


@pytest.mark.django_db
def test_the_worker_sends_exactly_one_mail_and_a_redelivered_event_sends_none(walter):
    ask("walter@example.com")
    assert mail.outbox == []

    run_workers()
    OutboxEvent.objects.update(dispatched_at=None)  # the relay delivers at least once
    run_workers()

    (message,) = mail.outbox
    assert message.to == ["walter@example.com"]
    assert "/portal/password-reset/" in message.body


@pytest.mark.django_db
def test_an_unknown_address_records_no_event_and_no_mail(walter):
    response = ask("nobody@example.com")
    run_workers()

    assert (response.status_code, response["Location"]) == (302, SENT)
    assert reset_events() == []
    assert mail.outbox == []


@pytest.mark.django_db
def test_the_mail_is_written_in_the_language_of_the_request(walter):
    ask("walter@example.com", language="zh-hans")
    run_workers()

    (message,) = mail.outbox
    assert message.subject == "重置您的 OMS 门户密码"


@pytest.mark.django_db
def test_an_account_gets_at_most_the_hourly_number_of_mails_and_the_rest_are_dropped_silently(
    settings, walter
):
    settings.PASSWORD_RESET_MAX_PER_HOUR = 3

    responses = [ask("walter@example.com", address=f"203.0.113.{n}") for n in range(1, 6)]
    run_workers()

    assert {(r.status_code, r["Location"]) for r in responses} == {(302, SENT)}
    assert len(mail.outbox) == 3


@pytest.mark.django_db
def test_a_client_address_is_limited_to_the_hourly_number_of_requests(settings, db):
    settings.PASSWORD_RESET_MAX_PER_ADDRESS_PER_HOUR = 2
    for name in ["ann", "bob", "cid"]:
        make_user(name, email=f"{name}@example.com")

    responses = [ask(f"{name}@example.com") for name in ["ann", "bob", "cid"]]
    elsewhere = ask("cid@example.com", address="198.51.100.7")
    run_workers()

    assert {(r.status_code, r["Location"]) for r in [*responses, elsewhere]} == {(302, SENT)}
    assert sorted(to for message in mail.outbox for to in message.to) == [
        "ann@example.com",
        "bob@example.com",
        "cid@example.com",
    ]
    assert len(reset_events()) == 3  # the refused request recorded nothing


@pytest.mark.redis
@pytest.mark.django_db
def test_the_limits_are_counted_in_redis(settings, walter):
    settings.CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": settings.REDIS_URL}}
    settings.PASSWORD_RESET_MAX_PER_ADDRESS_PER_HOUR = 2
    from django.core.cache import cache  # noqa: PLC0415  (the cache of the settings above)

    cache.clear()
    try:
        for _ in range(3):
            ask("walter@example.com")
        run_workers()

        assert len(mail.outbox) == 2
        assert cache.get("crm:password-reset:address:203.0.113.5") == 3
    finally:
        cache.clear()


@pytest.mark.django_db
def test_without_the_cache_the_form_still_works_unlimited(settings, walter):
    """The cache fails open (config.cache): a Redis outage must not take the reset form down."""
    settings.CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}
    settings.PASSWORD_RESET_MAX_PER_ADDRESS_PER_HOUR = 1
    settings.PASSWORD_RESET_MAX_PER_HOUR = 1
    try:
        responses = [ask("walter@example.com") for _ in range(2)]
        run_workers()
    finally:
        cache_reset()

    assert {(r.status_code, r["Location"]) for r in responses} == {(302, SENT)}
    assert len(mail.outbox) == 2
