"""The relay sweep, the purge and the once-per-event guard (core.outbox, core.services)."""

import datetime as dt
import threading
from collections import defaultdict

import pytest
from django.db import connections, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from config.celery import app
from config.schedules import BEAT_SCHEDULE
from core import events
from core.models import OutboxEvent, ProcessedEvent
from core.outbox import outbox_purge, outbox_relay
from core.services import event_handle_once
from core.sweeps import Sweep, sweep_continue


@pytest.fixture
def heard(monkeypatch):
    """Event ids handed to listeners, in order; other apps' listeners are detached."""
    calls = []
    monkeypatch.setattr(events, "_listeners", defaultdict(list))
    events.subscribe("*", lambda name, *, event_id, **payload: calls.append(event_id))
    return calls


def pending(n, *, age_seconds=60, name="test.happened"):
    """`n` committed-looking pending events, oldest first, `age_seconds` old and one second apart."""
    start = timezone.now() - dt.timedelta(seconds=age_seconds + n)
    return [
        OutboxEvent.objects.create(name=name, payload={"n": i}, occurred_at=start + dt.timedelta(seconds=i))
        for i in range(n)
    ]


@pytest.mark.django_db
def test_the_sweep_dispatches_pending_events_oldest_first_and_marks_them(heard):
    rows = pending(3)
    OutboxEvent.objects.create(name="test.done", dispatched_at=timezone.now())

    sweep = outbox_relay()

    assert heard == [str(e.pk) for e in rows]
    assert sweep == Sweep(handled=3)
    assert not OutboxEvent.objects.filter(dispatched_at__isnull=True).exists()


@pytest.mark.django_db
def test_the_sweep_leaves_events_younger_than_the_grace_to_the_fast_path(heard, settings):
    settings.OUTBOX_RELAY_GRACE_SECONDS = 30
    old = pending(1, age_seconds=60)
    young = pending(1, age_seconds=0)

    outbox_relay()

    assert heard == [str(old[0].pk)]
    young[0].refresh_from_db()
    assert young[0].dispatched_at is None


@pytest.mark.django_db
def test_the_sweep_handles_a_bounded_batch_and_says_where_the_next_one_starts(heard):
    rows = pending(5)

    first = outbox_relay(batch=2)
    second = outbox_relay(batch=2, after=first.after)
    third = outbox_relay(batch=2, after=second.after)

    assert heard == [str(e.pk) for e in rows]
    assert (first.more, second.more, third.more) == (True, True, False)
    assert first.after == [rows[1].occurred_at.isoformat(), str(rows[1].pk)]


@pytest.mark.django_db
def test_a_listener_failing_on_one_event_is_recorded_and_the_others_still_go(monkeypatch, heard):
    rows = pending(3)

    def broken(name, *, event_id, n):
        if n == 1:
            raise ValueError("bad payload")

    events.subscribe("test.happened", broken)

    sweep = outbox_relay()

    assert sweep.handled == 2
    states = {
        e.pk: (e.dispatched_at is not None, e.attempts, e.last_error) for e in OutboxEvent.objects.all()
    }
    assert states[rows[0].pk][:2] == (True, 0)
    assert states[rows[1].pk] == (False, 1, "ValueError: bad payload")
    assert states[rows[2].pk][:2] == (True, 0)


@pytest.mark.django_db
def test_a_broker_failure_ends_the_batch_and_the_chain(monkeypatch):
    rows = pending(3)
    monkeypatch.setattr(events, "_listeners", defaultdict(list))
    seen = []

    def publish(name, *, event_id, n):
        if n == 1:
            raise BrokerError("Timeout reading from socket")
        seen.append(n)

    events.subscribe("test.happened", publish)

    sweep = outbox_relay()

    assert seen == [0]
    assert sweep == Sweep(handled=1)
    assert list(OutboxEvent.objects.filter(dispatched_at__isnull=True).order_by("occurred_at")) == rows[1:]
    assert OutboxEvent.objects.get(pk=rows[1].pk).attempts == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_concurrent_sweeps_skip_the_events_another_relay_holds(heard):
    rows = pending(2)
    locked, release = threading.Event(), threading.Event()

    def other_relay():
        try:
            with transaction.atomic():
                list(OutboxEvent.objects.select_for_update().filter(pk=rows[0].pk))
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_relay)
    thread.start()
    try:
        assert locked.wait(10)
        outbox_relay()
    finally:
        release.set()
        thread.join()

    assert heard == [str(rows[1].pk)]
    assert OutboxEvent.objects.get(pk=rows[0].pk).dispatched_at is None


@pytest.mark.django_db
def test_the_purge_deletes_old_dispatched_events_and_receipts_never_pending_ones(settings):
    settings.OUTBOX_RETENTION_DAYS = 7
    long_ago = timezone.now() - dt.timedelta(days=8)
    old = OutboxEvent.objects.create(name="a", occurred_at=long_ago, dispatched_at=long_ago)
    recent = OutboxEvent.objects.create(name="b", dispatched_at=timezone.now() - dt.timedelta(days=6))
    stuck = OutboxEvent.objects.create(name="c", occurred_at=long_ago)
    old_receipt = ProcessedEvent.objects.create(handler="h", event_id=old.pk, processed_at=long_ago)
    ProcessedEvent.objects.create(handler="h", event_id=recent.pk)

    sweep = outbox_purge()

    assert sweep == Sweep(handled=2)
    assert set(OutboxEvent.objects.values_list("pk", flat=True)) == {recent.pk, stuck.pk}
    assert not ProcessedEvent.objects.filter(pk=old_receipt.pk).exists()


@pytest.mark.django_db
def test_the_purge_is_bounded_and_says_more_remain():
    long_ago = timezone.now() - dt.timedelta(days=30)
    for _ in range(3):
        OutboxEvent.objects.create(name="a", dispatched_at=long_ago)

    assert outbox_purge(batch=2) == Sweep(handled=2, more=True)
    assert outbox_purge(batch=2) == Sweep(handled=1, more=False)


@pytest.mark.django_db
def test_a_handler_guarded_by_its_receipt_acts_once_per_event():
    event_id = OutboxEvent.objects.create(name="x").pk
    acted = []

    for _ in range(2):
        with event_handle_once(handler="test.handler", event_id=event_id) as first:
            if first:
                acted.append(event_id)
    with event_handle_once(handler="another.handler", event_id=event_id) as first:
        assert first

    assert acted == [event_id]


@pytest.mark.django_db
def test_a_handler_that_failed_leaves_no_receipt_so_the_redelivery_acts():
    event_id = OutboxEvent.objects.create(name="x").pk

    with pytest.raises(ConnectionError), event_handle_once(handler="mail", event_id=event_id):
        raise ConnectionError("SMTP down")
    with event_handle_once(handler="mail", event_id=event_id) as first:
        assert first

    assert ProcessedEvent.objects.filter(handler="mail").count() == 1


def test_a_sweep_task_re_enqueues_itself_from_where_the_batch_stopped():
    class Task:
        queued: list = []

        def delay(self, **kwargs):
            self.queued.append(kwargs)

    task = Task()
    sweep_continue(task, Sweep.of([1, 2], 2), batch=2)
    sweep_continue(task, Sweep.of([3], 2), batch=2)
    sweep_continue(task, Sweep(handled=5, more=True), batch=5)

    assert task.queued == [{"after": 2, "batch": 2}, {"batch": 5}]


def test_the_relay_and_the_purge_are_scheduled_with_every_other_sweep():
    scheduled = {entry["task"] for entry in BEAT_SCHEDULE.values()}
    app.loader.import_default_modules()

    assert {"core.tasks.outbox_relay_task", "core.tasks.outbox_purge_task"} <= scheduled
    assert scheduled <= set(app.tasks)
