"""finance/migrations/0006: the default reminder levels, and each customer's credit position computed once."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps

from crm.models import Customer
from crm.tests.factories import CustomerFactory
from finance.models import DunningLevel
from finance.services import ORDERS_COUNTED, credit_positions_compute, invoice_issue
from orders.states import OrderStatus
from orders.tests.factories import make_order

MIGRATION = importlib.import_module("finance.migrations.0006_dunning_levels_credit_positions")


@pytest.mark.django_db
def test_the_backfill_computes_what_the_service_computes():
    customer = CustomerFactory()
    invoice_issue(order_id=make_order(customer=customer, status=OrderStatus.SHIPPED).pk)
    make_order(customer=customer)
    Customer.objects.update(receivables_open=0, orders_uninvoiced=0, credit_exposure=Decimal("1.00"))

    MIGRATION.compute_positions(apps, None)

    customer.refresh_from_db()
    expected = credit_positions_compute(customer_ids=[customer.pk])[customer.pk]
    assert (customer.receivables_open, customer.orders_uninvoiced, customer.credit_exposure) == (
        expected.receivables_open,
        expected.orders_uninvoiced,
        expected.exposure,
    )
    assert customer.orders_uninvoiced > 0


@pytest.mark.django_db
def test_the_default_levels_are_added_once():
    DunningLevel.objects.all().delete()

    MIGRATION.add_levels(apps, None)
    MIGRATION.add_levels(apps, None)

    assert list(DunningLevel.objects.values_list("level", "days_overdue", "tone")) == [
        (1, 7, "friendly"),
        (2, 21, "firm"),
        (3, 45, "final"),
    ]


def test_the_backfill_counts_the_order_statuses_the_service_counts():
    assert tuple(sorted(MIGRATION.ORDERS_COUNTED)) == ORDERS_COUNTED
