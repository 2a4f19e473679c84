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
from collections.abc import Callable, Iterable
from typing import NamedTuple

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from core.db import BulkInsert
from core.models import OutboxEvent

logger = logging.getLogger(__name__)
_listeners: dict[str, list[Callable[..., None]]] = defaultdict(list)
# Every change writes its events: the statement is built once per process on PostgreSQL (core.db).
_insert_events = BulkInsert(OutboxEvent, own_pk=True)
RESERVED = frozenset({"event_id"})


def subscribe(name: str, listener: Callable[..., None]) -> None:
    """Call `listener(name, event_id=…, **payload)` for every event `name` ("*": every event)."""
    if listener not in _listeners[name]:
        _listeners[name].append(listener)


def listeners(name: str) -> list[Callable[..., None]]:
    every = [*_listeners.get(name, ()), *_listeners.get("*", ())]
    return [listener for listener in every if not isinstance(listener, _Batch)]


# (name, event_id, payload): what a batch listener receives, a list of them.
Event = tuple[str, str, dict]


class _Batch(NamedTuple):
    """A batch listener, kept in the same registry as the others (detaching `_listeners` detaches both)."""

    listener: Callable[[list[Event]], None]


def subscribe_batch(name: str, listener: Callable[[list[Event]], None]) -> None:
    """Call `listener(events)` with the events `name` relayed together, as a list of (name, event_id,
    payload): for a listener that queues one task for many events (a batch of allocations announces
    fifty at once). The sweep and single events hand it a list of one. Same rules as `subscribe`."""
    if _Batch(listener) not in _listeners[name]:
        _listeners[name].append(_Batch(listener))


def batch_listeners(name: str) -> list[Callable[[list[Event]], None]]:
    return [entry.listener for entry in _listeners.get(name, ()) if isinstance(entry, _Batch)]


def deliver(name: str, payload: dict, *, event_id: str) -> None:
    """Hand one event to its listeners in turn; the first failure is raised and stops the rest."""
    for listener in listeners(name):
        listener(name, event_id=event_id, **payload)
    for batch_listener in batch_listeners(name):
        batch_listener([(name, event_id, payload)])


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
    return emit_many([(name, payload)])[0]


def emit_many(items: Iterable[tuple[str, dict]]) -> list[uuid.UUID]:
    """Record several events (name, payload) in the current transaction with one INSERT.

    For writers that change many documents at once (a batch of allocations): the events are the same
    as one `emit` each, relayed after commit in the order given, with one mark for those handed over.
    Returns their ids, in that order.
    """
    rows = []
    for name, payload in items:
        if RESERVED & payload.keys():
            raise TypeError(f"event payload may not use the reserved keys {sorted(RESERVED)}")
        data = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
        aggregate_type, aggregate_id = _aggregate(name, data)
        rows.append(
            OutboxEvent(name=name, payload=data, aggregate_type=aggregate_type, aggregate_id=aggregate_id)
        )
    if not rows:
        return []
    _insert_events(rows)
    if not relayed_by_process():
        # One callback per call: Django drops it with a rolled-back savepoint, together with the rows.
        transaction.on_commit(
            _relay_after_commit([(row.id, row.name, row.payload) for row in rows]), robust=True
        )
    return [row.id for row in rows]


def relayed_by_process() -> bool:
    """Whether the relay process hands events over (OUTBOX_RELAY_PROCESS on PostgreSQL: the insert's
    commit wakes it), so that the process making a change only writes its events."""
    return settings.OUTBOX_RELAY_PROCESS and transaction.get_connection().vendor == "postgresql"


def _relay_after_commit(items: list[tuple[uuid.UUID, str, dict]]) -> Callable[[], None]:
    from core import outbox  # noqa: PLC0415  (outbox builds on this module: listeners, deliver)

    def relay() -> None:
        outbox.relay_committed_many(items)

    relay.__qualname__ = f"outbox relay of {', '.join(sorted({name for _id, name, _p in items}))}"
    return relay
