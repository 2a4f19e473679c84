import datetime as dt
import uuid

from core.models import OutboxEvent


def outbox_event_occurred_at(*, event_id: str | uuid.UUID) -> dt.datetime | None:
    """When the event happened (None once it is purged or for an id that is not an outbox event)."""
    return OutboxEvent.objects.filter(pk=event_id).values_list("occurred_at", flat=True).first()
