"""Durable domain events: lower apps announce, higher apps listen (STYLE.md §2).

`emit()` writes the event to the outbox (core.models.OutboxEvent) in the caller's transaction, so a
rolled-back change never has its event and a committed one always does. The relay (core.outbox)
then calls each listener as `listener(name, event_id=<uuid str>, **payload)`: right after commit,
and again from the beat sweep for whatever the first try did not hand over. Delivery is at least
once, so a listener only enqueues a task that passes the event id on, and the handler acts once per
event id (a unique constraint, a state guard, or core.services.event_handle_once). Never use events
for work that must share the transaction.
"""

import json
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from core.models import OutboxEvent

logger = logging.getLogger(__name__)
_listeners: dict[str, list[Callable[..., None]]] = defaultdict(list)
RESERVED = frozenset({"event_id"})


def subscribe(name: str, listener: Callable[..., None]) -> None:
    """Call `listener(name, event_id=…, **payload)` for every event `name` ("*": every event)."""
    if listener not in _listeners[name]:
        _listeners[name].append(listener)


def listeners(name: str) -> list[Callable[..., None]]:
    return list(_listeners.get(name, ())) + list(_listeners.get("*", ()))


def deliver(name: str, payload: dict, *, event_id: str) -> None:
    """Hand one event to its listeners in turn; the first failure is raised and stops the rest."""
    for listener in listeners(name):
        listener(name, event_id=event_id, **payload)


def _aggregate(name: str, payload: dict) -> tuple[str, str]:
    # "order.approved" with order_id=7 is about order 7; events are named <aggregate>.<what happened>.
    kind = name.split(".", 1)[0]
    ref = payload.get(f"{kind}_id")
    return kind, "" if ref is None else str(ref)


def emit(name: str, **payload) -> uuid.UUID:
    """Record the event `name` in the current transaction; it is relayed to its listeners after commit.

    The payload must be JSON-serialisable (Django's encoder: dates, decimals and UUIDs become
    strings); listeners receive it as read back from the outbox. Returns the event id.
    """
    if RESERVED & payload.keys():
        raise TypeError(f"event payload may not use the reserved keys {sorted(RESERVED)}")
    data = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    aggregate_type, aggregate_id = _aggregate(name, data)
    event = OutboxEvent.objects.create(
        name=name, payload=data, aggregate_type=aggregate_type, aggregate_id=aggregate_id
    )
    # One callback per event: Django drops it with a rolled-back savepoint, together with the row.
    transaction.on_commit(_relay_after_commit(event.id, name, data), robust=True)
    return event.id


def _relay_after_commit(event_id: uuid.UUID, name: str, payload: dict) -> Callable[[], None]:
    from core import outbox  # noqa: PLC0415  (outbox builds on this module: listeners, deliver)

    def relay() -> None:
        outbox.relay_committed(event_id=event_id, name=name, payload=payload)

    relay.__qualname__ = f"outbox relay of {name}"
    return relay
