from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def enqueue_fanout(name: str, **payload) -> None:
    """Domain event listener: hand the event to a fan-out task, nothing else (STYLE.md §2).

    The event id is fixed here, before the task is queued, so a redelivered task fans out the same
    event again and the unique (endpoint, event_id) constraint turns that into a no-op.
    """
    import json
    import uuid

    from django.core.serializers.json import DjangoJSONEncoder
    from django.utils import timezone

    from webhooks.tasks import webhook_fanout_task

    webhook_fanout_task.delay(
        event_type=name,
        event_id=str(uuid.uuid4()),
        occurred_at=timezone.now().isoformat(),
        payload=json.loads(json.dumps(payload, cls=DjangoJSONEncoder)),
    )


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        from core import events
        from webhooks.models import WebhookEventType

        # Domain events carry the same names as the webhook events they become (order.<status>,
        # invoice.issued, shipment.tracking_updated …).
        for event_type in WebhookEventType.values:
            events.subscribe(event_type, enqueue_fanout)
