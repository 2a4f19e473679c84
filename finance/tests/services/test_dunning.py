"""Overdue reminders in escalating levels, at most once per invoice and level, and the credit hold
after the final level (finance.services.dunning)."""

import datetime as dt
import logging
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from core import notifications
from core.models import Notification
from crm.models import CreditEventKind, CustomerCreditEvent
from crm.services import customer_release_credit_hold
from crm.tests.factories import ContactFactory, CustomerFactory, UserFactory
from finance import tasks
from finance.models import Invoice, InvoiceEvent, InvoiceReminder
from finance.services import dunning as dunning_module
from finance.services import (
    dunning_credit_holds,
    dunning_run,
    invoice_dispute,
    invoice_dispute_resolve,
    payment_record,
)
from finance.states import InvoiceEventKind
from finance.tests.factories import default_levels, make_open_invoice

TODAY = timezone.localdate()


@pytest.fixture
def levels(db):
    return default_levels()


@pytest.fixture
def customer(db):
    rep = UserFactory(username="rep.li")
    customer = CustomerFactory(sales_rep=rep)
    ContactFactory(customer=customer, role="Billing", email="billing@dealer.example", is_primary=False)
    ContactFactory(customer=customer, role="Owner", email="owner@dealer.example", is_primary=True)
    return customer


@pytest.fixture
def finance_user(db):
    user = UserFactory(username="fin", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="Finance")[0])
    return user


def _sent(invoice) -> list[int]:
    return list(
        InvoiceReminder.objects.filter(invoice=invoice)
        .order_by("level__level")
        .values_list("level__level", flat=True)
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("days", "expected"),
    [(6, []), (7, [1]), (20, [1]), (21, [2]), (44, [2]), (45, [3]), (200, [3])],
)
def test_an_invoice_gets_the_highest_level_it_has_reached_only(levels, customer, days, expected):
    invoice = make_open_invoice(customer=customer, days_overdue=days)

    dunning_run()

    assert _sent(invoice) == expected
    invoice.refresh_from_db()
    assert invoice.dunning_level == (expected[-1] if expected else 0)


@pytest.mark.django_db
def test_a_reminder_is_logged_on_the_invoice_and_the_customer_and_notified_once(
    levels, customer, finance_user
):
    invoice = make_open_invoice(customer=customer, days_overdue=8, total=Decimal("250.00"))

    dunning_run()

    reminder = InvoiceReminder.objects.get(invoice=invoice)
    assert (reminder.level.level, reminder.days_overdue, reminder.balance) == (1, 8, Decimal("250.00"))
    assert reminder.recipients == {
        "emails": ["billing@dealer.example"],
        "users": sorted([customer.sales_rep_id, finance_user.pk]),
    }
    event = InvoiceEvent.objects.get(invoice=invoice, kind=InvoiceEventKind.REMINDER_SENT)
    assert (event.note, event.data["days_overdue"], event.data["level"]) == ("Friendly reminder", 8, 1)
    logged = CustomerCreditEvent.objects.get(customer=customer, kind=CreditEventKind.REMINDER_SENT)
    assert logged.data["invoice"] == invoice.number
    notices = Notification.objects.filter(key=reminder.notification_key)
    assert sorted(notices.values_list("recipient", flat=True)) == sorted(
        ["mail:billing@dealer.example", f"user:{customer.sales_rep_id}", f"user:{finance_user.pk}"]
    )
    assert set(notices.values_list("kind", flat=True)) == {"invoice.reminder.friendly"}


@pytest.mark.django_db
def test_the_reminder_texts_render(levels, customer):
    make_open_invoice(customer=customer, days_overdue=50, number="INV-2026-000042")
    dunning_run()
    notice = Notification.objects.get(recipient="mail:billing@dealer.example")

    text = notifications.notification_render(notice)

    assert "INV-2026-000042" in text.subject
    assert "final notice" in text.body
    assert "50 days overdue" in text.body


@pytest.mark.django_db
def test_running_twice_sends_each_level_once_and_escalates_as_days_pass(levels, customer):
    invoice = make_open_invoice(customer=customer, days_overdue=7)

    dunning_run()
    dunning_run()
    assert _sent(invoice) == [1]

    dunning_run(today=TODAY + dt.timedelta(days=14))
    dunning_run(today=TODAY + dt.timedelta(days=14))
    dunning_run(today=TODAY + dt.timedelta(days=38))
    dunning_run(today=TODAY + dt.timedelta(days=60))

    assert _sent(invoice) == [1, 2, 3]
    assert InvoiceEvent.objects.filter(invoice=invoice, kind=InvoiceEventKind.REMINDER_SENT).count() == 3
    assert Notification.objects.filter(recipient="mail:billing@dealer.example").count() == 3


@pytest.mark.django_db
def test_paid_void_and_disputed_invoices_get_no_reminder(levels, customer):
    paid = make_open_invoice(customer=customer, days_overdue=10)
    payment_record(invoice_id=paid.pk, amount=paid.total, received_on=TODAY)
    disputed = make_open_invoice(customer=customer, days_overdue=10)
    invoice_dispute(invoice_id=disputed.pk, reason="goods damaged")
    not_due = make_open_invoice(customer=customer, days_overdue=0)

    dunning_run()

    assert (_sent(paid), _sent(disputed), _sent(not_due)) == ([], [], [])
    assert not Notification.objects.filter(kind__startswith="invoice.reminder").exists()


@pytest.mark.django_db
def test_reminders_stop_once_paid_and_resume_after_a_dispute_at_the_level_reached(levels, customer):
    paid = make_open_invoice(customer=customer, days_overdue=7)
    disputed = make_open_invoice(customer=customer, days_overdue=7)
    dunning_run()
    payment_record(invoice_id=paid.pk, amount=paid.total, received_on=TODAY)
    invoice_dispute(invoice_id=disputed.pk, reason="price differs from the quote")

    dunning_run(today=TODAY + dt.timedelta(days=20))
    assert (_sent(paid), _sent(disputed)) == ([1], [1])

    invoice_dispute_resolve(invoice_id=disputed.pk, reason="price confirmed")
    dunning_run(today=TODAY + dt.timedelta(days=40))

    # 47 days late by then: the final notice, not the firm one it missed while in dispute.
    assert (_sent(paid), _sent(disputed)) == ([1], [1, 3])


@pytest.mark.django_db
def test_a_partly_paid_invoice_is_reminded_of_its_balance(levels, customer):
    invoice = make_open_invoice(customer=customer, days_overdue=9, total=Decimal("100.00"))
    payment_record(invoice_id=invoice.pk, amount=Decimal("30.00"), received_on=TODAY)

    dunning_run()

    assert InvoiceReminder.objects.get(invoice=invoice).balance == Decimal("70.00")


@pytest.mark.django_db
def test_inactive_levels_are_skipped_and_without_levels_nothing_is_sent(levels, customer):
    invoice = make_open_invoice(customer=customer, days_overdue=25)
    levels[1].is_active = False
    levels[1].save()

    dunning_run()
    assert _sent(invoice) == [1]

    InvoiceReminder.objects.all().delete()
    Invoice.objects.update(dunning_level=0)
    type(levels[0]).objects.update(is_active=False)
    assert dunning_run().handled == 0
    assert _sent(invoice) == []


@pytest.mark.django_db
def test_the_task_walks_due_invoices_in_batches_and_re_enqueues_itself(levels, customer, monkeypatch):
    invoices = [make_open_invoice(customer=customer, days_overdue=10) for _ in range(3)]
    again = []
    monkeypatch.setattr(tasks.dunning_run_task, "delay", lambda **kw: again.append(kw))

    tasks.dunning_run_task(batch=2)
    tasks.dunning_run_task(**again[0])

    assert again == [{"after": invoices[1].pk, "batch": 2}]
    assert [_sent(invoice) for invoice in invoices] == [[1], [1], [1]]


class WorkerDied(BaseException):
    """What a killed worker looks like to the code it was running: nothing below catches it."""


@pytest.mark.django_db
def test_a_run_that_dies_mid_batch_leaves_nothing_half_done(levels, customer, monkeypatch):
    invoices = [make_open_invoice(customer=customer, days_overdue=10) for _ in range(3)]

    def dying_notify(notices):
        # the notices of the first two reminders are written, then the worker dies
        notifications.notify_many(notices[:2])
        raise WorkerDied

    monkeypatch.setattr(dunning_module, "notify_many", dying_notify)
    with pytest.raises(WorkerDied):
        dunning_run()

    assert InvoiceReminder.objects.count() == 0
    assert InvoiceEvent.objects.filter(kind=InvoiceEventKind.REMINDER_SENT).count() == 0
    assert CustomerCreditEvent.objects.count() == 0
    assert Notification.objects.count() == 0
    assert set(Invoice.objects.values_list("dunning_level", flat=True)) == {0}

    monkeypatch.setattr(dunning_module, "notify_many", notifications.notify_many)
    dunning_run()
    dunning_run()

    assert [_sent(invoice) for invoice in invoices] == [[1], [1], [1]]
    assert Notification.objects.filter(recipient="mail:billing@dealer.example").count() == 3


@pytest.mark.django_db
def test_one_failing_invoice_does_not_hold_back_the_others(levels, customer, monkeypatch, caplog):
    good, bad, other = (make_open_invoice(customer=customer, days_overdue=10) for _ in range(3))

    def picky_notify(notices):
        if any(notice["context"]["invoice_number"] == bad.number for notice in notices):
            raise ValueError("template broken")
        return notifications.notify_many(notices)

    monkeypatch.setattr(dunning_module, "notify_many", picky_notify)
    with caplog.at_level(logging.ERROR, logger="finance.services.dunning"):
        dunning_run()

    assert [_sent(good), _sent(bad), _sent(other)] == [[1], [], [1]]
    assert f"the reminder of invoice {bad.pk} failed" in caplog.text


@pytest.mark.django_db
def test_the_customer_goes_on_hold_days_after_the_final_notice_once(levels, customer, finance_user, settings):
    settings.DUNNING_CREDIT_HOLD_AFTER_DAYS = 7
    invoice = make_open_invoice(customer=customer, days_overdue=45)
    dunning_run()
    assert _sent(invoice) == [3]
    customer.refresh_from_db()
    assert customer.credit_hold is False

    held = dunning_credit_holds(now=timezone.now() + dt.timedelta(days=7, minutes=1))

    customer.refresh_from_db()
    assert (held, customer.credit_hold) == (1, True)
    assert invoice.number in customer.credit_hold_reason
    assert InvoiceReminder.objects.get(invoice=invoice).credit_hold_at is not None
    assert Notification.objects.filter(kind="customer.credit_hold").count() == 2

    # Finance releases the hold (a payment plan): the same invoice does not hold the customer again.
    customer_release_credit_hold(customer_id=customer.pk, reason="payment plan", actor=finance_user)
    assert dunning_credit_holds(now=timezone.now() + dt.timedelta(days=30)) == 0
    customer.refresh_from_db()
    assert customer.credit_hold is False


@pytest.mark.django_db
def test_with_no_grace_the_final_notice_run_holds_the_customer(levels, customer, settings):
    settings.DUNNING_CREDIT_HOLD_AFTER_DAYS = 0
    make_open_invoice(customer=customer, days_overdue=60)

    dunning_run()

    customer.refresh_from_db()
    assert customer.credit_hold is True
    assert CustomerCreditEvent.objects.filter(kind=CreditEventKind.CREDIT_HOLD_SET).count() == 1


@pytest.mark.django_db
def test_a_final_notice_paid_or_disputed_in_time_puts_nobody_on_hold(levels, settings):
    settings.DUNNING_CREDIT_HOLD_AFTER_DAYS = 7
    paid_customer, disputing_customer = CustomerFactory(), CustomerFactory()
    paid = make_open_invoice(customer=paid_customer, days_overdue=45)
    disputed = make_open_invoice(customer=disputing_customer, days_overdue=45)
    dunning_run()
    payment_record(invoice_id=paid.pk, amount=paid.total, received_on=TODAY)
    invoice_dispute(invoice_id=disputed.pk, reason="never received")

    assert dunning_credit_holds(now=timezone.now() + dt.timedelta(days=8)) == 0

    paid_customer.refresh_from_db()
    disputing_customer.refresh_from_db()
    assert (paid_customer.credit_hold, disputing_customer.credit_hold) == (False, False)


@pytest.mark.django_db
def test_a_customer_with_several_final_notices_is_held_once(levels, customer, settings):
    settings.DUNNING_CREDIT_HOLD_AFTER_DAYS = 0
    invoices = [make_open_invoice(customer=customer, days_overdue=50) for _ in range(4)]

    dunning_run()

    customer.refresh_from_db()
    assert customer.credit_hold is True
    assert CustomerCreditEvent.objects.filter(kind=CreditEventKind.CREDIT_HOLD_SET).count() == 1
    assert all(r.credit_hold_at for r in InvoiceReminder.objects.filter(invoice__in=invoices))
    assert "…" in customer.credit_hold_reason


@pytest.mark.django_db
def test_the_hold_pass_walks_customers_in_batches(levels, settings):
    settings.DUNNING_CREDIT_HOLD_AFTER_DAYS = 7
    customers = [CustomerFactory() for _ in range(3)]
    for customer in customers:
        make_open_invoice(customer=customer, days_overdue=46)
        make_open_invoice(customer=customer, days_overdue=47)
    dunning_run()

    held = dunning_credit_holds(now=timezone.now() + dt.timedelta(days=8), batch=1)

    assert held == 3
    assert InvoiceReminder.objects.filter(credit_hold_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_the_dealer_users_of_the_customer_hear_of_the_reminder_and_the_hold_in_the_portal(
    levels, customer, finance_user, settings
):
    settings.DUNNING_CREDIT_HOLD_AFTER_DAYS = 0
    dealer = UserFactory(username="dealer.x")
    customer.users.add(dealer)
    make_open_invoice(customer=customer, days_overdue=50)

    dunning_run()

    reminder = Notification.objects.get(user=dealer, kind="invoice.reminder.final")
    assert reminder.link == ""  # the receivables page is the seller's
    hold = Notification.objects.get(user=dealer, kind="customer.credit_hold")
    assert hold.link == ""
    # the rep keeps the link to the receivables page, Finance to the customer
    assert Notification.objects.get(user_id=customer.sales_rep_id, kind="invoice.reminder.final").link
