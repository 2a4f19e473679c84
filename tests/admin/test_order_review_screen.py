"""The order manager's review screen: lines with stock and dates, credit, timeline, the actions allowed."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from crm.models import Customer
from inventory.services import stock_receive
from orders.states import OrderStatus
from orders.tests.factories import factory_warehouse, make_order

S = OrderStatus


def _review(client, order):
    with translation.override("en"):
        return client.get(reverse("admin:orders_order_review", args=[order.pk]))


@pytest.mark.django_db
def test_the_screen_shows_stock_per_warehouse_and_when_each_line_can_leave(manager_client):
    order = make_order(quantities=[4, 3])
    first, second = order.lines.order_by("position")
    stock_receive(product_id=first.product_id, warehouse_id=factory_warehouse().pk, quantity=10)

    response = _review(manager_client, order)

    assert response.status_code == 200
    page = response.content.decode()
    assert first.sku in page
    assert second.sku in page
    assert 'class="wh">FAC 10</span>' in page  # in stock now
    assert 'class="wh none">FAC 0</span>' in page  # the second line's product has none
    rows = response.context["lines"]
    assert rows[0].promise.from_stock
    assert not rows[0].short_now
    assert not rows[1].promise.covered
    assert rows[1].short_now
    assert response.context["lines"][1].promise.date > timezone.localdate()


@pytest.mark.django_db
def test_the_screen_shows_the_customers_credit_and_hold(manager_client):
    order = make_order()
    Customer.objects.filter(pk=order.customer_id).update(
        credit_limit=100_000,
        credit_exposure=120_000,
        overdue_balance=5_000,
        overdue_since=timezone.localdate() - dt.timedelta(days=40),
        credit_hold=True,
        credit_hold_reason="Final reminder unpaid",
    )

    page = _review(manager_client, order).content.decode()

    assert "-20,000.00" in page  # available credit, negative: over the limit
    assert "40 days late" in page
    assert "On credit hold" in page
    assert "Final reminder unpaid" in page


@pytest.mark.django_db
def test_the_actions_carry_the_version_shown(manager_client):
    order = make_order()

    response = _review(manager_client, order)

    keys = {link["key"] for link in response.context["actions"]}
    assert "approve" in keys
    approve = next(link for link in response.context["actions"] if link["key"] == "approve")
    assert approve["url"].endswith(f"?version={order.version}")


@pytest.mark.django_db
def test_the_screen_reads_in_a_bounded_number_of_queries(manager_client, django_assert_max_num_queries):
    small = make_order(quantities=[1])
    large = make_order(quantities=[1] * 12)
    _review(manager_client, small)  # warm caches (content types, sessions)

    with django_assert_max_num_queries(30) as captured:
        _review(manager_client, small)
    few = len(captured)
    with django_assert_max_num_queries(few) as captured:
        _review(manager_client, large)


@pytest.mark.django_db
def test_a_dealer_cannot_open_it(dealer_client):
    order = make_order()

    response = dealer_client.get(reverse("admin:orders_order_review", args=[order.pk]))

    assert response.status_code == 302
    assert "/login/" in response["Location"]
