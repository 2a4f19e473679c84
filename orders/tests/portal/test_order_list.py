import datetime as dt

import pytest
from django.utils import timezone

from crm.tests.factories import CustomerFactory
from orders.models import Order
from orders.services import order_transition
from orders.states import OrderStatus
from orders.tests.factories import make_order


def numbers(response) -> list[str]:
    return [order.number for order in response.context["orders"]]


@pytest.mark.django_db
def test_rep_sees_the_orders_of_own_customers_only(client, rep, rep_customer, dealer_customer):
    mine = make_order(customer=rep_customer)
    make_order(customer=dealer_customer)
    client.force_login(rep)

    response = client.get("/portal/orders/")

    assert response.status_code == 200
    assert numbers(response) == [mine.number]
    assert b"New order" in response.content


@pytest.mark.django_db
def test_dealer_sees_own_orders_only_and_no_new_order_button(client, dealer, dealer_customer, rep_customer):
    own = make_order(customer=dealer_customer)
    make_order(customer=rep_customer)
    client.force_login(dealer)

    response = client.get("/portal/orders/")

    assert numbers(response) == [own.number]
    assert b"New order" not in response.content


@pytest.mark.django_db
def test_list_needs_login(client):
    response = client.get("/portal/orders/")

    assert response.status_code == 302
    assert response["Location"].startswith("/portal/login/")


@pytest.mark.django_db
def test_a_user_who_is_neither_rep_nor_dealer_gets_a_friendly_page(client, outsider):
    client.force_login(outsider)

    response = client.get("/portal/orders/")

    assert response.status_code == 403
    assert b"not available to you" in response.content


@pytest.mark.django_db
def test_filter_by_status(client, rep, rep_customer):
    kept = make_order(customer=rep_customer)
    cancelled = make_order(customer=rep_customer)
    order_transition(order_id=cancelled.pk, to=OrderStatus.CANCELLED, reason="test")
    client.force_login(rep)

    response = client.get("/portal/orders/", {"status": OrderStatus.CANCELLED})

    assert numbers(response) == [cancelled.number]
    assert kept.number not in numbers(response)


@pytest.mark.django_db
def test_filter_by_customer_offers_only_visible_customers(client, rep, rep_customer, dealer_customer):
    second = CustomerFactory(name="Beta Beds", sales_rep=rep)
    make_order(customer=rep_customer)
    other = make_order(customer=second)
    client.force_login(rep)

    response = client.get("/portal/orders/", {"customer": second.pk})

    assert numbers(response) == [other.number]
    choices = set(response.context["filter_form"].fields["customer"].queryset)
    assert choices == {rep_customer, second}


@pytest.mark.django_db
def test_filtering_by_a_customer_the_user_cannot_see_shows_nothing_extra(
    client, rep, rep_customer, dealer_customer
):
    make_order(customer=rep_customer)
    make_order(customer=dealer_customer)
    client.force_login(rep)

    response = client.get("/portal/orders/", {"customer": dealer_customer.pk})

    assert response.status_code == 200
    assert "customer" in response.context["filter_form"].errors
    assert all(number.startswith("SO-") for number in numbers(response))
    assert {o.customer_id for o in response.context["orders"]} == {rep_customer.pk}


@pytest.mark.django_db
def test_search_by_number_or_external_reference(client, rep, rep_customer):
    by_ref = make_order(customer=rep_customer, external_reference="PO-7781")
    by_number = make_order(customer=rep_customer)
    client.force_login(rep)

    assert numbers(client.get("/portal/orders/", {"q": "po-7781"})) == [by_ref.number]
    assert numbers(client.get("/portal/orders/", {"q": by_number.number[-6:]})) == [by_number.number]


@pytest.mark.django_db
def test_filter_by_created_date_range(client, rep, rep_customer):
    old = make_order(customer=rep_customer)
    new = make_order(customer=rep_customer)
    ten_days_ago = timezone.now() - dt.timedelta(days=10)
    Order.objects.filter(pk=old.pk).update(created_at=ten_days_ago)
    client.force_login(rep)
    today = timezone.localdate()

    recent = client.get("/portal/orders/", {"date_from": (today - dt.timedelta(days=1)).isoformat()})
    early = client.get("/portal/orders/", {"date_to": (today - dt.timedelta(days=5)).isoformat()})

    assert numbers(recent) == [new.number]
    assert numbers(early) == [old.number]


@pytest.mark.django_db
def test_list_is_paginated_and_keeps_the_filters_in_page_links(client, rep, rep_customer):
    for _ in range(27):
        make_order(customer=rep_customer)
    client.force_login(rep)

    first = client.get("/portal/orders/", {"status": OrderStatus.SUBMITTED})
    second = client.get("/portal/orders/", {"status": OrderStatus.SUBMITTED, "page": 2})

    assert len(numbers(first)) == 25
    assert len(numbers(second)) == 2
    assert "?status=submitted&amp;page=2" in first.content.decode()


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_the_orders(
    client, rep, rep_customer, django_assert_max_num_queries
):
    for _ in range(30):
        make_order(customer=CustomerFactory(sales_rep=rep))
    client.force_login(rep)

    with django_assert_max_num_queries(7):
        response = client.get("/portal/orders/")

    assert len(numbers(response)) == 25
