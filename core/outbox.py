"""The outbox relay: hands committed domain events (core.events) to their listeners, at least once.

Two paths, one rule (an event is marked dispatched only after every listener took it):

- Fast path, right after commit, in the process that made the change (a request, a worker): the
  listeners publish through `core.publishing.bounded()`, so a closed or hung broker costs at most
  one OUTBOX_PUBLISH_TIMEOUT_SECONDS. After a failure the process leaves publishing to the sweep for
  OUTBOX_FAST_PATH_PAUSE_SECONDS, so the following requests do not pay that timeout again.
- Sweep (`outbox_relay`, from beat): pending events older than OUTBOX_RELAY_GRACE_SECONDS (younger
  ones are the fast path's), oldest first, locked with skip_locked so concurrent sweeps share the
  work, in bounded batches. The lock is on outbox rows only and is held across publishing on
  purpose: no other relay takes those rows meanwhile, and publishing is bounded by the timeout.

A relay that dies after publishing and before marking publishes again next time: listeners pass
the event id on and handlers act once per id (core.services.event_handle_once for those that need
a receipt). Dispatched events are purged after OUTBOX_RETENTION_DAYS (`outbox_purge`).
"""

import datetime as dt
import logging
import select
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from kombu.exceptions import OperationalError as BrokerError

from core import events, publishing
from core.db import LAZY_COMMIT, can_commit_lazily
from core.models import OutboxEvent, ProcessedEvent
from core.sweeps import Sweep

logger = logging.getLogger(__name__)

# What a publish raises when the broker is down or hung: kombu wraps the transport's errors in
# OperationalError; OSError covers a socket failing outside that wrapper.
BROKER_ERRORS = (BrokerError, OSError)

_paused_until = 0.0


def fast_path_paused() -> bool:
    return time.monotonic() < _paused_until


def fast_path_reset() -> None:
    """Let this process use the fast path again at once (tests; an operator's shell)."""
    global _paused_until
    _paused_until = 0.0


def _pause() -> None:
    global _paused_until
    _paused_until = time.monotonic() + float(settings.OUTBOX_FAST_PATH_PAUSE_SECONDS)


_TABLE = OutboxEvent._meta.db_table
# The fast path's writes skip an event another relay holds (a sweep publishing it right now, which
# marks it itself): a request must never wait for a sweep's batch to finish.
_PENDING_AND_FREE = (
    f"id = (SELECT id FROM {_TABLE} WHERE id = %s AND dispatched_at IS NULL FOR UPDATE SKIP LOCKED)"
)
_PENDING_AND_FREE_ANY = (
    f"id IN (SELECT id FROM {_TABLE} WHERE id = ANY(%s::uuid[]) AND dispatched_at IS NULL "
    "FOR UPDATE SKIP LOCKED)"
)
# A listener's own failure backs the event off (base × 2^attempts, capped); a broker failure does not:
# the broker's state is no fault of the event, and the sweep should deliver as soon as it is back.
_RECORD_FAILURE_SQL = (
    f"UPDATE {_TABLE} SET attempts = attempts + 1, last_error = %s, "
    "next_attempt_at = CASE WHEN %s THEN %s + LEAST(%s * power(2, attempts), %s) * interval '1 second' "
    f"ELSE next_attempt_at END WHERE {_PENDING_AND_FREE}"
)
_MARK_DISPATCHED_SQL = f"UPDATE {_TABLE} SET dispatched_at = %s WHERE {_PENDING_AND_FREE_ANY}"


def _record_failure(event_id, exc: BaseException, *, backoff: bool) -> None:
    error = f"{type(exc).__name__}: {exc}"[:1000]
    now = timezone.now()
    base, cap = float(settings.OUTBOX_RETRY_BASE_SECONDS), float(settings.OUTBOX_RETRY_MAX_SECONDS)
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_RECORD_FAILURE_SQL, [error, backoff, now, base, cap, event_id])
        return
    # Elsewhere (SQLite, the trial) there are no concurrent relays to skip: read, then write.
    event = OutboxEvent.objects.filter(pk=event_id, dispatched_at__isnull=True).first()
    if event is None:
        return
    changes = {"attempts": F("attempts") + 1, "last_error": error}
    if backoff:
        changes["next_attempt_at"] = now + dt.timedelta(seconds=min(base * 2**event.attempts, cap))
    OutboxEvent.objects.filter(pk=event_id, dispatched_at__isnull=True).update(**changes)


def relay_committed(*, event_id: uuid.UUID, name: str, payload: dict) -> bool:
    """Fast path: hand a just-committed event to its listeners and mark it dispatched.

    Never raises for a listener's failure: the event stays pending for the sweep and the failure is
    recorded on it; a broker failure also pauses the fast path. Returns whether it was dispatched.
    """
    return relay_committed_many([(event_id, name, payload)]) == 1


def relay_committed_many(items: list[tuple[uuid.UUID, str, dict]]) -> int:
    """Fast path for the events one transaction emitted together (core.events.emit_many), in order.

    As `relay_committed` for each, with one mark for all those handed over; a batch listener
    (events.subscribe_batch) is called once with all its events. A listener's failure holds back the
    events it was given; a broker failure stops the relay there, leaving every event not yet handed
    over to the sweep, and pauses the fast path. Returns how many were dispatched.
    """
    if fast_path_paused():
        return 0
    dispatched, broker_down = _hand_over(items)
    if broker_down:
        _pause()
    if dispatched:
        _mark_dispatched(dispatched)
    return len(dispatched)


def _hand_over(items: list[tuple[uuid.UUID, str, dict]]) -> tuple[list[uuid.UUID], bool]:
    """Call the listeners of `items` (id, name, payload), publishing with bounded waits; record each
    failure on its event. Returns (the events handed over, whether the broker failed: then the rest
    were not tried)."""
    failed: set[uuid.UUID] = set()
    dispatched: list[uuid.UUID] = []
    current: uuid.UUID | None = None  # the event being handed over, for a broker failure's record
    try:
        with publishing.bounded():
            for listener, mine in _per_batch_listener(items):
                current = mine[0][0]
                try:
                    listener([(name, str(event_id), payload) for event_id, name, payload in mine])
                except BROKER_ERRORS:
                    raise
                except Exception as exc:
                    logger.exception("outbox events left to the relay sweep: a batch listener failed")
                    for event_id, _name, _payload in mine:
                        if event_id not in failed:
                            failed.add(event_id)
                            _record_failure(event_id, exc, backoff=True)
            for event_id, name, payload in items:
                if event_id in failed:
                    continue
                current = event_id
                try:
                    for listener in events.listeners(name):
                        listener(name, event_id=str(event_id), **payload)
                except BROKER_ERRORS:
                    raise
                except Exception as exc:
                    logger.exception(
                        "outbox event %s (%s) left to the relay sweep: a listener failed", event_id, name
                    )
                    _record_failure(event_id, exc, backoff=True)
                    continue
                dispatched.append(event_id)
    except BROKER_ERRORS as exc:
        publishing.discard()
        logger.warning("outbox event %s left to the relay sweep: broker unavailable: %s", current, exc)
        _record_failure(current, exc, backoff=False)
        # What was handed over before the failure stays handed over; the rest waits for the sweep.
        return dispatched, True
    return dispatched, False


def _per_batch_listener(items):
    """[(batch listener, its events in order)] for the events relayed together."""
    grouped: dict = {}
    for item in items:
        for listener in events.batch_listeners(item[1]):
            grouped.setdefault(listener, []).append(item)
    return list(grouped.items())


def _mark_dispatched(event_ids: list[uuid.UUID]) -> None:
    # Outside a transaction (after a request's commit), the mark commits without waiting for its WAL
    # flush (core.db): if a crash loses it, the event is still pending and the sweep delivers it again,
    # which at-least-once delivery allows; handlers act once per event id.
    now = timezone.now()
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        # RETURNING the lazy commit only where the statement is its own transaction (core.db).
        sql = _MARK_DISPATCHED_SQL + (f" RETURNING {LAZY_COMMIT}" if can_commit_lazily(connection) else "")
        with connection.cursor() as cursor:
            cursor.execute(sql, [now, list(event_ids)])
        return
    OutboxEvent.objects.filter(pk__in=list(event_ids), dispatched_at__isnull=True).update(dispatched_at=now)


def _pending_due(now):
    """Pending events due now (never tried, or backed off until before `now`), oldest first, for a
    relay to lock: SKIP LOCKED, so relays running at once share them."""
    return (
        OutboxEvent.objects.filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now), dispatched_at__isnull=True
        )
        .select_for_update(skip_locked=True)
        .order_by("occurred_at", "id")
    )


def outbox_relay(*, after: list | None = None, batch: int = 200, grace_seconds: float | None = None) -> Sweep:
    """Sweep: dispatch up to `batch` pending events, oldest first, and mark them dispatched.

    `after` is the cursor ([occurred_at ISO, id]) a previous batch of the same chain stopped at.
    A listener failing for its own reasons is recorded on the event (attempts, last_error, and the
    next attempt backed off exponentially: OUTBOX_RETRY_BASE_SECONDS × 2^attempts, at most
    OUTBOX_RETRY_MAX_SECONDS) and the sweep goes on; a broker failure ends the batch and the chain
    (the next beat tick tries again).
    Events locked by another relay are skipped. Call it outside any transaction.
    """
    grace = settings.OUTBOX_RELAY_GRACE_SECONDS if grace_seconds is None else grace_seconds
    now = timezone.now()
    due = _pending_due(now).filter(occurred_at__lte=now - dt.timedelta(seconds=grace))
    if after:
        at, pk = parse_datetime(after[0]), uuid.UUID(after[1])
        due = due.filter(Q(occurred_at__gt=at) | Q(occurred_at=at, id__gt=pk))
    broker_down = False
    with transaction.atomic():
        rows = list(due[:batch])
        dispatched = []
        with publishing.bounded():
            for event in rows:
                try:
                    # A savepoint: a listener that ran its task eagerly and failed leaves our
                    # transaction usable for the next event.
                    with transaction.atomic():
                        events.deliver(event.name, event.payload, event_id=str(event.pk))
                except BROKER_ERRORS as exc:
                    publishing.discard()
                    logger.warning("outbox relay stopped at event %s: broker unavailable: %s", event.pk, exc)
                    _record_failure(event.pk, exc, backoff=False)
                    broker_down = True
                    break
                except Exception as exc:
                    logger.exception("outbox event %s (%s): a listener failed", event.pk, event.name)
                    _record_failure(event.pk, exc, backoff=True)
                    continue
                dispatched.append(event.pk)
        if dispatched:
            OutboxEvent.objects.filter(pk__in=dispatched).update(dispatched_at=timezone.now())
    if broker_down:
        return Sweep(handled=len(dispatched))
    sweep = Sweep.of([[e.occurred_at.isoformat(), str(e.pk)] for e in rows], batch)
    return Sweep(handled=len(dispatched), more=sweep.more, after=sweep.after)


# The relay process (OUTBOX_RELAY_PROCESS, PostgreSQL): every insert into the outbox notifies this
# channel when its transaction commits (a statement trigger, migration core/0007).
NOTIFY_CHANNEL = "core_outbox"


def outbox_dispatch_pending(*, batch: int = 200) -> tuple[int, bool]:
    """The relay process's pass: hand every pending event that is due to its listeners, oldest first,
    in batches of `batch` events locked (SKIP LOCKED: relays share the work) while they are handed over
    and marked in one UPDATE. Returns (how many were dispatched, whether the broker failed: the pass
    stopped there, and the events wait for the next one)."""
    total = 0
    while True:
        with transaction.atomic():
            rows = list(_pending_due(timezone.now()).values_list("id", "name", "payload")[:batch])
            if not rows:
                return total, False
            dispatched, broker_down = _hand_over(rows)
            if dispatched:
                _mark_dispatched(dispatched)
        total += len(dispatched)
        if broker_down:
            return total, True
        if len(rows) < batch:
            return total, False


def outbox_listen(*, idle_seconds: float = 5.0, should_stop: Callable[[], bool] = lambda: False) -> None:
    """The relay process's loop (`manage.py outbox_relay`, PostgreSQL only): LISTEN on NOTIFY_CHANNEL,
    and after each wake-up — a committed insert into the outbox, or `idle_seconds` of quiet (backed-off
    events come due; a broker that failed is tried again) — dispatch everything pending.

    Notifications that arrive during a pass wake the next select at once, so nothing committed waits
    for the idle timeout; what was committed before the loop started is taken by its first pass.
    Returns when `should_stop()` says so (checked after each pass and wake-up); a lost database
    connection raises (the process manager restarts the relay).
    """
    wrapper = connections[DEFAULT_DB_ALIAS]
    listener = wrapper.get_new_connection(wrapper.get_connection_params())
    listener.autocommit = True
    try:
        with listener.cursor() as cursor:
            cursor.execute(f"LISTEN {NOTIFY_CHANNEL}")
        while not should_stop():
            _dispatched, broker_down = outbox_dispatch_pending()
            if should_stop():
                return
            if broker_down:
                # Not on every commit while the broker is down: once per idle period.
                time.sleep(idle_seconds)
            elif not select.select([listener], [], [], idle_seconds)[0]:
                continue
            listener.poll()
            listener.notifies.clear()
    finally:
        listener.close()


def outbox_purge(*, batch: int = 1000, older_than_days: float | None = None) -> Sweep:
    """Sweep: delete up to `batch` events dispatched, and receipts taken, more than the retention ago.

    Pending events are never purged. Returns what it deleted; more may remain after a full batch.
    """
    days = settings.OUTBOX_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - dt.timedelta(days=days)
    with transaction.atomic():
        ids = list(
            OutboxEvent.objects.filter(dispatched_at__lt=cutoff)
            .order_by("dispatched_at")
            .values_list("pk", flat=True)[:batch]
        )
        events_deleted, _ = OutboxEvent.objects.filter(pk__in=ids).delete()
        # A receipt stays while its event may still be redelivered (pending, e.g. backed off).
        receipt_ids = list(
            ProcessedEvent.objects.filter(processed_at__lt=cutoff)
            .exclude(event_id__in=OutboxEvent.objects.filter(dispatched_at__isnull=True).values("pk"))
            .order_by("processed_at")
            .values_list("pk", flat=True)[:batch]
        )
        receipts_deleted, _ = ProcessedEvent.objects.filter(pk__in=receipt_ids).delete()
    return Sweep(
        handled=events_deleted + receipts_deleted, more=len(ids) >= batch or len(receipt_ids) >= batch
    )
