from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The listeners below only queue a task, passing the event id on (STYLE.md §2, §5). The outbox relay
# calls them at least once per event; the handlers act once per event id.


def enqueue_fanout(events: list[tuple[str, str, dict]]) -> None:
    """Queue the fan-out of domain events to their customers' endpoints: one task for the events
    relayed together (core.events.subscribe_batch), so a batch of fifty allocations publishes one.

    The outbox event id becomes the webhook event id: a redelivered event fans out the same event
    again, and the unique (endpoint, event_id) constraint turns that into a no-op.
    """
    from webhooks.tasks import webhook_fanout_many_task  # noqa: PLC0415  (tasks import the app's models)

    webhook_fanout_many_task.delay(
        events=[{"event_type": name, "event_id": ref, "payload": payload} for name, ref, payload in events]
    )


def enqueue_delivery(name: str, *, event_id: str, webhook_delivery_id: int, **payload) -> None:
    """Queue the first attempt of a new (or replayed) delivery; the claim makes a second one a no-op."""
    from webhooks.tasks import webhook_deliver_task  # noqa: PLC0415

    webhook_deliver_task.delay(delivery_id=webhook_delivery_id)


def enqueue_disabled_notice(name: str, *, event_id: str, webhook_endpoint_id: int, **payload) -> None:
    """Queue the email telling the customer an endpoint was disabled (once per event id)."""
    from webhooks.tasks import webhook_endpoint_notify_disabled_task  # noqa: PLC0415

    webhook_endpoint_notify_disabled_task.delay(endpoint_id=webhook_endpoint_id, event_id=event_id)


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        from core import events  # noqa: PLC0415  (models are loaded only now)
        from webhooks.models import WebhookEventType  # noqa: PLC0415

        # Domain events carry the same names as the webhook events they become (order.<status>,
        # invoice.issued, shipment.tracking_updated …).
        for event_type in WebhookEventType.values:
            events.subscribe_batch(event_type, enqueue_fanout)
        events.subscribe("webhook_delivery.created", enqueue_delivery)
        events.subscribe("webhook_delivery.replayed", enqueue_delivery)
        events.subscribe("webhook_endpoint.disabled", enqueue_disabled_notice)
