"""The outbox delivers at least once: webhook handlers given the same event twice act once."""

import pytest
from django.core import mail

from core import events, outbox
from core.models import OutboxEvent
from core.outbox import outbox_relay
from crm.models import Contact
from orders.services import order_approve
from orders.tests.factories import make_order
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEventType
from webhooks.tests.factories import WebhookEndpointFactory


def relay_again(event: OutboxEvent) -> None:
    """What a relay that died after handing the event over, before marking it, leads to."""
    OutboxEvent.objects.filter(pk=event.pk).update(dispatched_at=None)
    outbox_relay(grace_seconds=0)


@pytest.mark.django_db
def test_an_event_relayed_twice_is_delivered_to_the_endpoint_once(
    receiver, eager_celery, django_capture_on_commit_callbacks
):
    order = make_order()
    endpoint = WebhookEndpointFactory(
        customer=order.customer, url=receiver.url, event_types=[WebhookEventType.ORDER_APPROVED]
    )
    receiver.secret = endpoint.secret

    with django_capture_on_commit_callbacks(execute=True):
        order_approve(order_id=order.pk)
    event = OutboxEvent.objects.get(name="order.approved")
    relay_again(event)

    delivery = WebhookDelivery.objects.get()
    assert delivery.event_id == event.pk
    assert len(receiver.received) == 1
    assert receiver.received[0].headers["X-OMS-Event-Id"] == str(event.pk)


@pytest.mark.django_db
def test_the_envelope_says_when_the_event_happened_not_when_it_was_relayed(
    eager_celery, django_capture_on_commit_callbacks, settings
):
    order = make_order()
    WebhookEndpointFactory(customer=order.customer)
    settings.OUTBOX_FAST_PATH_PAUSE_SECONDS = 60
    outbox._pause()  # the fast path is off: the sweep relays later
    with django_capture_on_commit_callbacks(execute=True):
        order_approve(order_id=order.pk)
    event = OutboxEvent.objects.get(name="order.approved")
    OutboxEvent.objects.filter(pk=event.pk).update(occurred_at=event.occurred_at.replace(year=2020))
    outbox_relay(grace_seconds=0)

    assert WebhookDelivery.objects.get().payload["created_at"].startswith("2020-")


@pytest.mark.django_db
def test_a_disabled_endpoint_notice_relayed_twice_sends_one_email(
    eager_celery, django_capture_on_commit_callbacks
):
    endpoint = WebhookEndpointFactory()
    Contact.objects.create(
        customer=endpoint.customer, name="Ops", email="ops@dealer.example", is_primary=True
    )
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)

    with django_capture_on_commit_callbacks(execute=True):
        events.emit(
            "webhook_endpoint.disabled", webhook_endpoint_id=endpoint.pk, customer_id=endpoint.customer_id
        )
    event = OutboxEvent.objects.get(name="webhook_endpoint.disabled")
    relay_again(event)

    assert len(mail.outbox) == 1
    assert event.aggregate_type == "webhook_endpoint"
