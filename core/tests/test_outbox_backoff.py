"""An event a listener keeps failing on is retried with exponential backoff, not on every sweep."""

import datetime as dt
from collections import defaultdict

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from core import events, outbox
from core.models import OutboxEvent, ProcessedEvent


@pytest.fixture
def failing(monkeypatch, settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    settings.OUTBOX_RETRY_MAX_SECONDS = 100
    monkeypatch.setattr(events, "_listeners", defaultdict(list))
    calls = []

    def listener(name, *, event_id, **payload):
        calls.append(event_id)
        raise RuntimeError("listener bug")

    events.subscribe("test.poison", listener)
    return calls


def _event(**fields) -> OutboxEvent:
    return OutboxEvent.objects.create(
        name="test.poison", occurred_at=timezone.now() - dt.timedelta(minutes=5), **fields
    )


@pytest.mark.django_db(transaction=True)
def test_a_failing_listener_backs_its_event_off_and_the_sweep_leaves_it_until_then(failing):
    event = _event()

    outbox.outbox_relay(grace_seconds=0)
    event.refresh_from_db()
    first_retry = event.next_attempt_at
    outbox.outbox_relay(grace_seconds=0)  # too early: not tried again

    assert len(failing) == 1
    assert event.attempts == 1
    assert dt.timedelta(seconds=25) < first_retry - timezone.now() <= dt.timedelta(seconds=30)


@pytest.mark.django_db(transaction=True)
def test_the_delay_doubles_with_each_failure_up_to_the_cap(failing):
    event = _event(attempts=1, next_attempt_at=timezone.now() - dt.timedelta(seconds=1))

    outbox.outbox_relay(grace_seconds=0)
    event.refresh_from_db()
    second = event.next_attempt_at - timezone.now()
    OutboxEvent.objects.filter(pk=event.pk).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
    outbox.outbox_relay(grace_seconds=0)
    event.refresh_from_db()
    third = event.next_attempt_at - timezone.now()

    assert len(failing) == 2
    assert dt.timedelta(seconds=55) < second <= dt.timedelta(seconds=60)
    assert dt.timedelta(seconds=95) < third <= dt.timedelta(seconds=100)  # 120 s, capped at 100


@pytest.mark.django_db(transaction=True)
def test_a_broker_failure_is_not_backed_off(monkeypatch):
    monkeypatch.setattr(events, "_listeners", defaultdict(list))

    def listener(name, *, event_id, **payload):
        raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    events.subscribe("test.poison", listener)
    event = _event()

    outbox.outbox_relay(grace_seconds=0)
    event.refresh_from_db()

    assert event.attempts == 1
    assert event.next_attempt_at is None


@pytest.mark.django_db
def test_a_receipt_outlives_the_retention_while_its_event_is_still_pending(settings):
    settings.OUTBOX_RETENTION_DAYS = 7
    long_ago = timezone.now() - dt.timedelta(days=30)
    pending = _event(attempts=9, next_attempt_at=timezone.now() + dt.timedelta(hours=1))
    done = _event(dispatched_at=long_ago)
    ProcessedEvent.objects.create(handler="mail", event_id=pending.pk, processed_at=long_ago)
    ProcessedEvent.objects.create(handler="mail", event_id=done.pk, processed_at=long_ago)

    outbox.outbox_purge()

    assert list(ProcessedEvent.objects.values_list("event_id", flat=True)) == [pending.pk]
    assert list(OutboxEvent.objects.values_list("pk", flat=True)) == [pending.pk]
