"""Two sweeps at once (a beat tick while a re-enqueued batch still runs) tell each delay once."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from core.models import Notification, OutboxEvent
from production.models import WorkOrderEvent
from production.services.delays import delays_sweep
from production.states import WorkOrderEventKind
from production.tests.factories_watch import order_manager, watched_work_order

SWEEPS = 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_tell_each_delay_once():
    # given an order manager and three work orders that missed their start
    now = timezone.now()
    manager = order_manager()
    late = [watched_work_order(now=now, planned_start=now - dt.timedelta(days=1)) for _ in range(3)]
    barrier = threading.Barrier(SWEEPS)
    errors: list[Exception] = []

    def sweep() -> None:
        try:
            barrier.wait(timeout=10)
            delays_sweep(now=now)
        except Exception as exc:  # collected and asserted below; a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connection.close()

    # when four sweeps run at the same moment
    threads = [threading.Thread(target=sweep) for _ in range(SWEEPS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then each delay has one entry, one event and one notice per person
    assert errors == []
    assert WorkOrderEvent.objects.filter(kind=WorkOrderEventKind.DELAYED).count() == 3
    assert OutboxEvent.objects.filter(name="production.delayed").count() == 3
    assert Notification.objects.filter(user=manager).count() == 3
    reps = {w.order.customer.sales_rep_id for w in late}
    assert Notification.objects.filter(user_id__in=reps).count() == 3
