"""Receivables ageing: open balances by days past due, per customer, per rep and overall."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.tests.factories import CustomerFactory, UserFactory
from finance.models import Invoice
from finance.selectors import (
    AgeingBucket,
    ageing_by_customer,
    ageing_by_rep,
    ageing_rows,
    ageing_total,
    overdue_invoices,
)
from finance.services import invoice_dispute, payment_record
from finance.states import InvoiceStatus
from finance.tests.factories import make_open_invoice

B = AgeingBucket
TODAY = timezone.localdate()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (-5, B.CURRENT),
        (0, B.CURRENT),
        (1, B.DAYS_1_30),
        (30, B.DAYS_1_30),
        (31, B.DAYS_31_60),
        (60, B.DAYS_31_60),
        (61, B.DAYS_61_90),
        (90, B.DAYS_61_90),
        (91, B.OVER_90),
        (400, B.OVER_90),
    ],
)
def test_a_balance_falls_in_the_bucket_of_its_days_past_due(days, bucket):
    invoice = make_open_invoice(days_overdue=max(days, 0), total=Decimal("10.00"))
    Invoice.objects.filter(pk=invoice.pk).update(due_date=TODAY - dt.timedelta(days=days))

    total = ageing_total(today=TODAY)

    assert total.buckets == {b: (Decimal("10.00") if b == bucket else Decimal("0.00")) for b in B.values}
    assert total.total == Decimal("10.00")


@pytest.mark.django_db
def test_only_open_balances_count_and_part_payments_reduce_them():
    invoice = make_open_invoice(days_overdue=10, total=Decimal("100.00"))
    payment_record(invoice_id=invoice.pk, amount=Decimal("40.00"), received_on=TODAY)
    paid = make_open_invoice(days_overdue=10, total=Decimal("5.00"))
    payment_record(invoice_id=paid.pk, amount=Decimal("5.00"), received_on=TODAY)
    draft = make_open_invoice(days_overdue=10, total=Decimal("7.00"))
    Invoice.objects.filter(pk=draft.pk).update(status=InvoiceStatus.DRAFT)

    total = ageing_total(today=TODAY)

    assert (total.invoices, total.total, total.buckets[B.DAYS_1_30]) == (
        1,
        Decimal("60.00"),
        Decimal("60.00"),
    )


@pytest.mark.django_db
def test_per_customer_most_overdue_first_with_disputes_shown_apart():
    small, large = CustomerFactory(name="Small"), CustomerFactory(name="Large")
    make_open_invoice(customer=small, days_overdue=5, total=Decimal("10.00"))
    make_open_invoice(customer=small, days_overdue=0, total=Decimal("500.00"))
    disputed = make_open_invoice(customer=large, days_overdue=95, total=Decimal("200.00"))
    invoice_dispute(invoice_id=disputed.pk, reason="damaged")
    make_open_invoice(customer=large, days_overdue=40, total=Decimal("20.00"))

    rows = ageing_rows(ageing_by_customer(today=TODAY))

    assert [(r.label, r.overdue, r.total, r.disputed) for r in rows] == [
        ("Large", Decimal("220.00"), Decimal("220.00"), Decimal("200.00")),
        ("Small", Decimal("10.00"), Decimal("510.00"), Decimal("0.00")),
    ]
    assert rows[0].cells() == [
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("20.00"),
        Decimal("0.00"),
        Decimal("200.00"),
    ]
    assert [r.label for r in ageing_rows(ageing_by_customer(today=TODAY, overdue_only=True))] == [
        "Large",
        "Small",
    ]


@pytest.mark.django_db
def test_per_rep_and_restricted_to_given_customers():
    li, wang = UserFactory(username="li", first_name="Na", last_name="Li"), UserFactory(username="wang")
    mine, theirs, nobodys = (
        CustomerFactory(sales_rep=li),
        CustomerFactory(sales_rep=wang),
        CustomerFactory(),
    )
    make_open_invoice(customer=mine, days_overdue=70, total=Decimal("30.00"))
    make_open_invoice(customer=theirs, days_overdue=3, total=Decimal("20.00"))
    make_open_invoice(customer=nobodys, days_overdue=0, total=Decimal("10.00"))

    by_rep = ageing_by_rep(today=TODAY)
    only_mine = ageing_total(today=TODAY, customers=type(mine).objects.filter(sales_rep=li))

    assert [(r.label, r.total) for r in by_rep] == [
        ("Na Li", Decimal("30.00")),
        ("wang", Decimal("20.00")),
        ("No sales rep", Decimal("10.00")),
    ]
    assert (only_mine.total, only_mine.buckets[B.DAYS_61_90]) == (Decimal("30.00"), Decimal("30.00"))


@pytest.mark.django_db
def test_the_reports_take_a_fixed_number_of_queries(django_assert_num_queries):
    for days in (0, 10, 40, 70, 100):
        make_open_invoice(customer=CustomerFactory(sales_rep=UserFactory()), days_overdue=days)

    with django_assert_num_queries(1):
        ageing_total(today=TODAY)
    with django_assert_num_queries(1):
        ageing_rows(ageing_by_customer(today=TODAY))
    with django_assert_num_queries(2):
        ageing_by_rep(today=TODAY)


@pytest.mark.django_db
def test_overdue_invoices_are_listed_oldest_first_per_customer():
    customer = CustomerFactory()
    newer = make_open_invoice(customer=customer, days_overdue=3)
    older = make_open_invoice(customer=customer, days_overdue=30)
    make_open_invoice(customer=customer, days_overdue=0)

    assert list(overdue_invoices(today=TODAY)) == [older, newer]
