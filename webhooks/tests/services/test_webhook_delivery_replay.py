import datetime as dt

import pytest
from django.utils import timezone

from webhooks import tasks
from webhooks.errors import DeliveryInProgress, EndpointDisabled
from webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from webhooks.services import webhook_delivery_attempt, webhook_delivery_replay
from webhooks.tests.factories import WebhookDeliveryFactory, WebhookEndpointFactory


@pytest.mark.django_db
def test_a_failed_delivery_is_replayed_with_the_same_event_id(
    receiver, settings, eager_celery, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver.respond_with(500, 200)
    endpoint = WebhookEndpointFactory(url=receiver.url)
    receiver.secret = endpoint.secret
    delivery = WebhookDeliveryFactory(endpoint=endpoint)
    webhook_delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED

    with django_capture_on_commit_callbacks(execute=True):
        webhook_delivery_replay(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 1
    assert [r.headers["X-OMS-Event-Id"] for r in receiver.received] == [str(delivery.event_id)] * 2
    assert all(r.signature_ok for r in receiver.received)
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == 2


@pytest.mark.django_db
def test_a_delivery_being_sent_cannot_be_replayed(monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.webhook_deliver_task, "delay", lambda **kw: queued.append(kw))
    delivery = WebhookDeliveryFactory(attempts=1, leased_until=timezone.now() + dt.timedelta(seconds=30))

    with pytest.raises(DeliveryInProgress):
        webhook_delivery_replay(delivery_id=delivery.pk)

    fresh = WebhookDelivery.objects.get(pk=delivery.pk)
    assert fresh.attempts == 1
    assert queued == []


@pytest.mark.django_db
def test_a_delivery_of_a_disabled_endpoint_cannot_be_replayed():
    delivery = WebhookDeliveryFactory(
        endpoint=WebhookEndpointFactory(is_active=False), status=DeliveryStatus.FAILED, attempts=8
    )

    with pytest.raises(EndpointDisabled):
        webhook_delivery_replay(delivery_id=delivery.pk)

    fresh = WebhookDelivery.objects.get(pk=delivery.pk)
    assert fresh.status == DeliveryStatus.FAILED
    assert fresh.attempts == 8
