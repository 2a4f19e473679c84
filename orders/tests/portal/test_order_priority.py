"""The order page's priority card: a rep sees why an order is ahead; a dealer sees no priority, neither
here nor in the API (it is the seller's own ranking)."""

import datetime as dt

import pytest
from django.utils import timezone

from orders.services import order_score_priority
from orders.tests.api import support
from orders.tests.factories import make_order, priority_factors


@pytest.fixture
def factors(db):
    return priority_factors()


@pytest.mark.django_db
def test_a_rep_sees_the_priority_with_its_breakdown(client, rep, rep_customer, factors):
    order = make_order(
        customer=rep_customer, requested_delivery_date=timezone.localdate() + dt.timedelta(days=5)
    )
    order_score_priority(order_id=order.pk)
    order.refresh_from_db()
    client.force_login(rep)

    page = client.get(f"/portal/orders/{order.number}/").content.decode()

    assert f'Priority <span class="badge">{order.priority}</span>' in page
    assert "<td>Urgency</td><td>5 days to the requested delivery date</td>" in page
    assert '<td class="num">40</td><td class="num">75 %</td><td class="num">30</td>' in page


@pytest.mark.django_db
def test_an_order_not_scored_yet_says_so(client, rep, rep_customer, factors):
    order = make_order(customer=rep_customer)
    client.force_login(rep)

    page = client.get(f"/portal/orders/{order.number}/").content.decode()

    assert "Not scored yet: the next rescoring fills this in." in page


@pytest.mark.django_db
def test_a_dealer_does_not_see_the_priority(client, dealer, dealer_customer, factors):
    order = make_order(
        customer=dealer_customer, requested_delivery_date=timezone.localdate() + dt.timedelta(days=5)
    )
    order_score_priority(order_id=order.pk)
    client.force_login(dealer)

    response = client.get(f"/portal/orders/{order.number}/")

    assert response.status_code == 200
    assert response.context["priority"] is None
    assert "priority-card" not in response.content.decode()


@pytest.mark.django_db
def test_the_dealer_api_shows_neither_the_priority_nor_the_promotion_flag(factors):
    customer, _user, api = support.dealer()
    order = support.dealer_order(customer)
    order_score_priority(order_id=order.pk)

    body = api.get(f"/api/v1/orders/{order.number}/").json()

    assert body["number"] == order.number
    assert not {"priority", "priority_breakdown", "is_promotion"} & set(body)
