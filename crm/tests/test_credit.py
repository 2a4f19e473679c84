"""Credit summaries on the customer: position, hold and release, the credit timeline, the quote's
credit check and where reminders go."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from core.errors import ValidationFailed
from core.models import Notification
from crm.models import CreditEventKind, CustomerCreditEvent
from crm.selectors import customer_billing_emails, customer_credit_check
from crm.services import (
    CreditPosition,
    customer_release_credit_hold,
    customer_set_credit_hold,
    customer_set_credit_position,
    customer_set_credit_positions,
)
from crm.tests.factories import ContactFactory, CustomerFactory, UserFactory


@pytest.fixture
def finance_user(db):
    user = UserFactory(username="fin", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="Finance")[0])
    return user


@pytest.mark.django_db
def test_a_position_sets_exposure_as_receivables_plus_orders_not_invoiced():
    customer = CustomerFactory()
    since = timezone.localdate() - dt.timedelta(days=3)

    customer_set_credit_position(
        customer_id=customer.pk,
        position=CreditPosition(
            receivables_open=Decimal("100.005"),
            orders_uninvoiced=Decimal("50"),
            overdue_balance=Decimal("40"),
            overdue_since=since,
        ),
    )

    customer.refresh_from_db()
    assert (customer.receivables_open, customer.orders_uninvoiced, customer.credit_exposure) == (
        Decimal("100.01"),
        Decimal("50.00"),
        Decimal("150.01"),
    )
    assert (customer.overdue_balance, customer.overdue_since) == (Decimal("40.00"), since)


@pytest.mark.django_db
def test_a_negative_position_is_refused_and_changes_nothing():
    customer = CustomerFactory()

    with pytest.raises(ValidationFailed) as refused:
        customer_set_credit_position(
            customer_id=customer.pk, position=CreditPosition(receivables_open=Decimal("-1"))
        )

    assert "receivables_open" in refused.value.fields
    customer.refresh_from_db()
    assert customer.receivables_open == Decimal("0.00")


@pytest.mark.django_db
def test_bulk_positions_write_only_the_customers_that_drifted():
    kept, drifted = CustomerFactory(), CustomerFactory()

    changed = customer_set_credit_positions(
        positions={kept.pk: CreditPosition(), drifted.pk: CreditPosition(orders_uninvoiced=Decimal("7"))}
    )

    assert changed == [drifted.pk]
    drifted.refresh_from_db()
    assert drifted.credit_exposure == Decimal("7.00")


@pytest.mark.django_db
def test_a_hold_is_set_once_logged_and_notified_to_the_rep_and_finance(finance_user):
    rep = UserFactory(username="rep")
    customer = CustomerFactory(sales_rep=rep)

    customer, changed = customer_set_credit_hold(customer_id=customer.pk, reason="Final reminder unpaid")
    again, changed_again = customer_set_credit_hold(customer_id=customer.pk, reason="another")

    assert (changed, changed_again) == (True, False)
    customer.refresh_from_db()
    assert (customer.credit_hold, customer.credit_hold_reason) == (True, "Final reminder unpaid")
    assert customer.credit_hold_at is not None
    event = CustomerCreditEvent.objects.get(customer=customer)
    assert (event.kind, event.note) == (CreditEventKind.CREDIT_HOLD_SET, "Final reminder unpaid")
    notices = Notification.objects.filter(kind="customer.credit_hold")
    assert sorted(n.user_id for n in notices) == sorted([rep.pk, finance_user.pk])
    assert {n.key for n in notices} == {f"customer.credit_hold:{event.pk}"}


@pytest.mark.django_db
def test_release_needs_a_reason_clears_the_hold_and_does_not_notify_the_actor(finance_user):
    customer = CustomerFactory(sales_rep=UserFactory(username="rep"))
    customer_set_credit_hold(customer_id=customer.pk, reason="manual")

    with pytest.raises(ValidationFailed):
        customer_release_credit_hold(customer_id=customer.pk, reason=" ", actor=finance_user)
    customer.refresh_from_db()
    assert customer.credit_hold is True

    customer, changed = customer_release_credit_hold(
        customer_id=customer.pk, reason="payment plan agreed", actor=finance_user
    )

    assert changed is True
    customer.refresh_from_db()
    assert (customer.credit_hold, customer.credit_hold_reason, customer.credit_hold_at) == (False, "", None)
    released = CustomerCreditEvent.objects.get(kind=CreditEventKind.CREDIT_HOLD_RELEASED)
    assert (released.actor, released.data["held_for"]) == (finance_user, "manual")
    notified = Notification.objects.filter(kind="customer.credit_hold_released").values_list(
        "user", flat=True
    )
    assert list(notified) == [customer.sales_rep_id]


@pytest.mark.django_db
def test_a_hold_reason_over_200_characters_is_refused():
    customer = CustomerFactory()

    with pytest.raises(ValidationFailed):
        customer_set_credit_hold(customer_id=customer.pk, reason="x" * 201)

    customer.refresh_from_db()
    assert customer.credit_hold is False
    assert not CustomerCreditEvent.objects.exists()


@pytest.mark.django_db
def test_the_credit_check_fits_an_order_within_the_limit():
    customer = CustomerFactory(credit_limit=Decimal("1000"), credit_exposure=Decimal("600"))

    check = customer_credit_check(customer=customer, extra_amount=Decimal("400"))

    assert (check.available, check.over_limit, check.ok, check.messages) == (Decimal("0.00"), False, True, [])


@pytest.mark.django_db
def test_the_credit_check_warns_over_the_limit_overdue_too_long_and_on_hold(settings):
    settings.CREDIT_OVERDUE_DAYS_LIMIT = 30
    today = timezone.localdate()
    customer = CustomerFactory(
        credit_limit=Decimal("1000"),
        credit_exposure=Decimal("900"),
        overdue_balance=Decimal("50"),
        overdue_since=today - dt.timedelta(days=31),
        credit_hold=True,
        credit_hold_reason="Unpaid after the final reminder",
    )

    check = customer_credit_check(customer=customer, extra_amount=Decimal("100.01"), today=today)

    assert (check.available, check.over_limit, check.overdue_days, check.overdue_too_long, check.on_hold) == (
        Decimal("-0.01"),
        True,
        31,
        True,
        True,
    )
    assert len(check.messages) == 3
    assert "Unpaid after the final reminder" in check.messages[0]


@pytest.mark.django_db
def test_overdue_up_to_the_limit_of_days_is_not_warned_about(settings):
    settings.CREDIT_OVERDUE_DAYS_LIMIT = 30
    today = timezone.localdate()
    customer = CustomerFactory(overdue_balance=Decimal("50"), overdue_since=today - dt.timedelta(days=30))

    check = customer_credit_check(customer=customer, today=today)

    assert (check.overdue_days, check.overdue_too_long, check.messages) == (30, False, [])


@pytest.mark.django_db
def test_reminders_go_to_billing_contacts_else_the_primary_contact():
    billing = CustomerFactory()
    ContactFactory(customer=billing, role="Purchasing", email="buyer@a.example", is_primary=True)
    ContactFactory(customer=billing, role="Accounts payable", email="AP@a.example")
    ContactFactory(customer=billing, role="财务", email="cw@a.example")
    primary = CustomerFactory()
    ContactFactory(customer=primary, role="Owner", email="owner@b.example", is_primary=True)
    ContactFactory(customer=primary, role="Sales", email="sales@b.example")
    nobody = CustomerFactory()
    ContactFactory(customer=nobody, role="Owner", email="", is_primary=True)

    emails = customer_billing_emails(customer_ids=[billing.pk, primary.pk, nobody.pk])

    assert emails == {billing.pk: ["AP@a.example", "cw@a.example"], primary.pk: ["owner@b.example"]}


@pytest.mark.django_db
def test_a_customer_without_a_credit_limit_is_never_over_it():
    customer = CustomerFactory(credit_limit=Decimal("0"), credit_exposure=Decimal("5000"))

    check = customer_credit_check(customer=customer, extra_amount=Decimal("1000000"))

    assert check.over_limit is False
