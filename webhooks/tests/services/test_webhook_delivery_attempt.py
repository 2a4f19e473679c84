import datetime as dt
import json
import threading

import pytest
from django.db import connection
from django.utils import timezone

from webhooks import limits, services, tasks
from webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.services import backoff_seconds, webhook_delivery_attempt
from webhooks.tasks import webhook_deliver_due_task, webhook_deliver_task
from webhooks.tests.factories import WebhookDeliveryFactory, WebhookEndpointFactory


def _delivery_to(receiver, **kwargs) -> WebhookDelivery:
    endpoint = WebhookEndpointFactory(url=receiver.url, **kwargs)
    receiver.secret = endpoint.secret
    return WebhookDeliveryFactory(endpoint=endpoint)


def _make_due(delivery: WebhookDelivery) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )


@pytest.mark.django_db
def test_delivery_is_signed_and_carries_the_event_headers(receiver):
    delivery = _delivery_to(receiver)

    result = webhook_delivery_attempt(delivery_id=delivery.pk)

    assert result.status == DeliveryStatus.SUCCEEDED
    assert result.delivered_at is not None
    [request] = receiver.received
    assert request.signature_ok
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-OMS-Event"] == "order.approved"
    assert request.headers["X-OMS-Event-Id"] == str(delivery.event_id)
    assert request.headers["X-OMS-Delivery-Attempt"] == "1"
    assert request.headers["X-OMS-Signature"].startswith(f"t={request.headers['X-OMS-Timestamp']},v1=")
    assert request.json == delivery.payload


@pytest.mark.django_db
def test_a_500_is_retried_with_backoff_and_then_succeeds(receiver, eager_celery):
    receiver.respond_with(500, 200)
    delivery = _delivery_to(receiver)

    first = webhook_delivery_attempt(delivery_id=delivery.pk)

    assert first.status == DeliveryStatus.PENDING
    assert first.attempts == 1
    assert first.last_response_code == 500
    wait = (first.next_attempt_at - timezone.now()).total_seconds()
    assert backoff_seconds(1) - 5 < wait <= backoff_seconds(1)
    assert first.endpoint.consecutive_failures == 1

    _make_due(delivery)
    webhook_deliver_due_task.apply()

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 2
    assert [r.headers["X-OMS-Delivery-Attempt"] for r in receiver.received] == ["1", "2"]
    assert all(r.signature_ok for r in receiver.received)
    assert {r.headers["X-OMS-Event-Id"] for r in receiver.received} == {str(delivery.event_id)}
    codes = list(
        WebhookAttempt.objects.filter(delivery=delivery)
        .order_by("attempted_at")
        .values_list("response_code", flat=True)
    )
    assert codes == [500, 200]
    delivery.endpoint.refresh_from_db()
    assert delivery.endpoint.consecutive_failures == 0


@pytest.mark.django_db
def test_a_retry_that_is_not_yet_due_sends_nothing(receiver):
    receiver.respond_with(500)
    delivery = _delivery_to(receiver)
    webhook_delivery_attempt(delivery_id=delivery.pk)

    again = webhook_delivery_attempt(delivery_id=delivery.pk)
    webhook_deliver_due_task.apply()

    assert again is None
    assert len(receiver.received) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1


@pytest.mark.django_db
def test_a_redelivered_task_sends_no_duplicate(receiver):
    delivery = _delivery_to(receiver)

    webhook_deliver_task.apply(kwargs={"delivery_id": delivery.pk})
    webhook_deliver_task.apply(kwargs={"delivery_id": delivery.pk})

    assert len(receiver.received) == 1
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    assert delivery.status == DeliveryStatus.SUCCEEDED


@pytest.mark.django_db
def test_a_delivery_fails_for_good_after_the_last_attempt(receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    receiver.respond_with(503, 503, 200)
    delivery = _delivery_to(receiver)

    webhook_delivery_attempt(delivery_id=delivery.pk)
    _make_due(delivery)
    webhook_delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.next_attempt_at is None
    assert delivery.attempts == 2
    assert delivery.last_response_code == 503
    assert webhook_delivery_attempt(delivery_id=delivery.pk) is None
    assert len(receiver.received) == 2


@pytest.mark.django_db
def test_an_unreachable_receiver_is_logged_as_an_error_without_a_code(settings, free_url):
    delivery = WebhookDeliveryFactory(endpoint=WebhookEndpointFactory(url=free_url))

    result = webhook_delivery_attempt(delivery_id=delivery.pk)

    assert result.status == DeliveryStatus.PENDING
    assert result.last_response_code is None
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert attempt.response_code is None
    assert "ConnectionError" in attempt.error


@pytest.mark.django_db
def test_a_redirect_is_not_followed_and_counts_as_a_failure(receiver):
    receiver.respond_with(302)
    delivery = _delivery_to(receiver)

    result = webhook_delivery_attempt(delivery_id=delivery.pk)

    assert result.status == DeliveryStatus.PENDING
    assert result.last_response_code == 302
    assert len(receiver.received) == 1


@pytest.mark.django_db
def test_a_disabled_endpoint_gets_nothing(receiver):
    delivery = _delivery_to(receiver, is_active=False)

    result = webhook_delivery_attempt(delivery_id=delivery.pk)
    webhook_deliver_due_task.apply()

    assert result is None
    assert receiver.received == []
    delivery.refresh_from_db()
    assert delivery.attempts == 0
    assert delivery.status == DeliveryStatus.PENDING


@pytest.mark.django_db
def test_the_body_sent_is_the_stored_envelope_byte_for_byte(receiver):
    delivery = _delivery_to(receiver)

    webhook_delivery_attempt(delivery_id=delivery.pk)

    body = receiver.received[0].body
    assert body == json.dumps(delivery.payload, sort_keys=True, separators=(",", ":")).encode()


def test_backoff_doubles_from_thirty_seconds_and_is_capped_at_six_hours():
    assert [backoff_seconds(n) for n in range(1, 6)] == [30, 60, 120, 240, 480]
    assert backoff_seconds(20) == 6 * 3600


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_a_delivery_only_once(receiver):
    receiver.delay_seconds = 0.5
    delivery = _delivery_to(receiver)
    barrier = threading.Barrier(3)
    results = []

    def worker():
        barrier.wait()
        try:
            results.append(webhook_delivery_attempt(delivery_id=delivery.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(receiver.received) == 1
    assert sum(result is not None for result in results) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    assert delivery.status == DeliveryStatus.SUCCEEDED


def _expire_lease(delivery_id: int) -> None:
    WebhookDelivery.objects.filter(pk=delivery_id).update(
        leased_until=timezone.now() - dt.timedelta(seconds=1)
    )


@pytest.fixture
def stalled_first_send(monkeypatch):
    """The first send hangs until its lease runs out, `meanwhile()` runs, and then it reports a 503."""
    real_send = services._send
    state = {"calls": 0, "meanwhile": lambda claim: None}

    def send(claim):
        state["calls"] += 1
        if state["calls"] > 1:
            return real_send(claim)
        _expire_lease(claim.delivery_id)
        state["meanwhile"](claim)
        return services._Outcome(
            attempted_at=timezone.now(),
            response_code=503,
            duration_ms=30000,
            error="HTTP 503 Service Unavailable",
        )

    monkeypatch.setattr(services, "_send", send)
    return state


@pytest.mark.django_db
def test_a_stale_failure_does_not_overwrite_the_success_of_the_worker_that_took_over(
    receiver, stalled_first_send
):
    delivery = _delivery_to(receiver)
    stalled_first_send["meanwhile"] = lambda claim: webhook_delivery_attempt(delivery_id=claim.delivery_id)

    webhook_delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 2
    assert delivery.last_response_code == 200
    assert delivery.last_error == ""
    assert delivery.leased_until is None
    assert delivery.next_attempt_at is None
    assert delivery.delivered_at is not None
    assert WebhookEndpoint.objects.get(pk=delivery.endpoint_id).consecutive_failures == 0
    logged = sorted(WebhookAttempt.objects.filter(delivery=delivery).values_list("response_code", flat=True))
    assert logged == [200, 503]


@pytest.mark.django_db
def test_a_stale_result_leaves_the_new_claims_lease_and_the_failure_count_alone(receiver, stalled_first_send):
    delivery = _delivery_to(receiver)
    second = {}
    stalled_first_send["meanwhile"] = lambda claim: second.update(claim=services._claim(claim.delivery_id))

    webhook_delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert second["claim"].attempt == 2
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 2
    assert delivery.leased_until == second["claim"].leased_until
    assert delivery.last_response_code is None
    assert delivery.last_error == ""
    assert WebhookEndpoint.objects.get(pk=delivery.endpoint_id).consecutive_failures == 0
    assert list(WebhookAttempt.objects.filter(delivery=delivery).values_list("response_code", flat=True)) == [
        503
    ]


@pytest.mark.django_db
def test_a_stale_result_after_a_replay_is_only_logged(receiver, stalled_first_send, monkeypatch):
    monkeypatch.setattr(tasks.webhook_deliver_task, "delay", lambda **kw: None)
    delivery = _delivery_to(receiver)
    stalled_first_send["meanwhile"] = lambda claim: services.webhook_delivery_replay(
        delivery_id=claim.delivery_id
    )

    webhook_delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 0
    assert delivery.last_response_code is None
    assert WebhookEndpoint.objects.get(pk=delivery.endpoint_id).consecutive_failures == 0


@pytest.mark.django_db
def test_the_lease_outlives_the_delivery_tasks_hard_time_limit(receiver):
    delivery = _delivery_to(receiver)
    before = timezone.now()

    claim = services._claim(delivery.pk)

    assert limits.request_timeout() < webhook_deliver_task.soft_time_limit < webhook_deliver_task.time_limit
    assert claim.leased_until >= before + dt.timedelta(seconds=webhook_deliver_task.time_limit + 10)


@pytest.mark.django_db
def test_a_delivery_of_an_inactive_customer_is_not_sent(receiver):
    delivery = _delivery_to(receiver)
    delivery.endpoint.customer.is_active = False
    delivery.endpoint.customer.save(update_fields=["is_active"])

    result = webhook_deliver_task.apply(kwargs={"delivery_id": delivery.pk})

    assert result.successful()
    assert receiver.received == []
    delivery.refresh_from_db()
    assert delivery.attempts == 0
    assert delivery.status == DeliveryStatus.PENDING
