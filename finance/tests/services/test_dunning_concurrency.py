"""Overlapping dunning runs on PostgreSQL: each (invoice, level) is sent once, and a run never waits
for the invoices another holds."""

import datetime as dt
import logging
import threading
import time
from collections import Counter

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from core.models import Notification
from crm.models import CreditEventKind, CustomerCreditEvent
from crm.tests.factories import ContactFactory, CustomerFactory, UserFactory
from finance.models import Invoice, InvoiceEvent, InvoiceReminder
from finance.services import dunning_run
from finance.states import InvoiceEventKind
from finance.tests.factories import default_levels, make_open_invoice

RUNS = 4


def _chain(today: dt.date, batch: int) -> None:
    """One run as the task chain does it: batch after batch until one comes back short."""
    sweep = dunning_run(today=today, batch=batch)
    while sweep.more:
        sweep = dunning_run(today=today, after=sweep.after, batch=batch)


def _concurrently(today: dt.date, batch: int = 4) -> list[BaseException]:
    barrier = threading.Barrier(RUNS)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=20)
            _chain(today, batch)
        except BaseException as exc:  # collected and asserted below; a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(RUNS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_runs_twice_and_concurrently_send_one_reminder_per_level(settings, caplog):
    # given 30 overdue invoices of 3 customers at every level, a rep and a finance clerk
    settings.DUNNING_CREDIT_HOLD_AFTER_DAYS = 0
    default_levels()
    finance = UserFactory(username="fin")
    finance.groups.add(Group.objects.get_or_create(name="Finance")[0])
    customers = [CustomerFactory(sales_rep=UserFactory(username=f"rep{i}")) for i in range(3)]
    for customer in customers:
        ContactFactory(customer=customer, role="Billing", email=f"ap@{customer.code.lower()}.example")
    invoices = [
        make_open_invoice(customer=customers[i % 3], days_overdue=days)
        for i, days in enumerate([8, 10, 22, 30, 12] * 6)
    ]
    today = timezone.localdate()

    caplog.set_level(logging.WARNING, logger="finance.services.dunning")

    # when four runs start at once, twice over
    assert _concurrently(today) == []
    assert _concurrently(today) == []

    # then every invoice got its level once, with one timeline entry, one log entry, one notice each
    assert InvoiceReminder.objects.count() == len(invoices)
    levels = dict(Invoice.objects.values_list("pk", "dunning_level"))
    assert Counter(levels.values()) == {1: 18, 2: 12}
    assert InvoiceEvent.objects.filter(kind=InvoiceEventKind.REMINDER_SENT).count() == len(invoices)
    assert CustomerCreditEvent.objects.filter(kind=CreditEventKind.REMINDER_SENT).count() == len(invoices)
    per_key = Counter(Notification.objects.values_list("key", flat=True))
    # billing address, rep, finance clerk
    assert set(per_key.values()) == {3}
    assert len(per_key) == len(invoices)

    # when the days pass and four runs escalate at once: 40 and more days late, some past the final level
    later = today + dt.timedelta(days=30)
    assert _concurrently(later) == []
    assert _concurrently(later) == []

    sent = Counter(InvoiceReminder.objects.values_list("invoice_id", "level__level"))
    assert set(sent.values()) == {1}
    assert Counter(level for _invoice, level in sent) == {1: 18, 2: 30, 3: 12}
    assert InvoiceEvent.objects.filter(kind=InvoiceEventKind.REMINDER_SENT).count() == len(sent)
    # and each customer with a final notice went on hold once
    holds = Counter(
        CustomerCreditEvent.objects.filter(kind=CreditEventKind.CREDIT_HOLD_SET).values_list(
            "customer_id", flat=True
        )
    )
    assert holds == dict.fromkeys((c.pk for c in customers), 1)
    # and no run tripped over another (the unique constraint is a backstop, never the mechanism)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_run_skips_an_invoice_another_holds_instead_of_waiting():
    default_levels()
    customer = CustomerFactory()
    held, free = (make_open_invoice(customer=customer, days_overdue=10) for _ in range(2))
    locked, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        try:
            with transaction.atomic():
                Invoice.objects.select_for_update().filter(pk=held.pk).first()
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    assert locked.wait(timeout=10)
    try:
        started = time.monotonic()
        dunning_run()
        elapsed = time.monotonic() - started
    finally:
        release.set()
        holder.join(timeout=30)

    assert elapsed < 5
    assert list(InvoiceReminder.objects.values_list("invoice_id", flat=True)) == [free.pk]

    dunning_run()

    assert sorted(InvoiceReminder.objects.values_list("invoice_id", flat=True)) == sorted([held.pk, free.pk])
