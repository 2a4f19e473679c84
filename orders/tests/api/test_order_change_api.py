"""The dealer API's PATCH goes through order_change (dealers change orders until they are in review);
changes by anyone show in the dealer's timeline as a diff and in words."""

import pytest

from crm.tests.factories import UserFactory
from inventory.tests.factories import ProductFactory
from orders.models import Order, OrderEvent, OrderLine
from orders.services import LineChange, order_change, order_transition
from orders.states import OrderStatus
from orders.tests.api.support import dealer, dealer_order

S = OrderStatus


def detail(order) -> str:
    return f"/api/v1/orders/{order.number}/"


def timeline(client, order) -> list[dict]:
    return client.get(f"/api/v1/orders/{order.number}/timeline/", HTTP_ACCEPT_LANGUAGE="en").json()["results"]


@pytest.mark.django_db
def test_sending_the_lines_back_with_one_quantity_changed_changes_that_line_only():
    customer, user, client = dealer()
    chair, desk = ProductFactory(sku="CHAIR-01"), ProductFactory(sku="DESK-02")
    order = dealer_order(customer, products=[chair, desk], quantities=[2, 1], actor=user)
    before = list(OrderLine.objects.filter(order=order).order_by("position").values_list("pk", flat=True))

    response = client.patch(
        detail(order),
        {"lines": [{"sku": "CHAIR-01", "quantity": 2}, {"sku": "DESK-02", "quantity": 4}]},
        format="json",
        HTTP_IF_MATCH=f'"{order.version}"',
    )

    assert response.status_code == 200, response.content
    after = list(OrderLine.objects.filter(order=order).order_by("position").values_list("pk", flat=True))
    assert after == before
    assert [(line["position"], line["quantity"]) for line in response.json()["lines"]] == [(1, 2), (2, 4)]
    entry = timeline(client, order)[0]
    assert entry["kind"] == "order.updated"
    assert entry["data"]["lines"] == [{"line": 2, "sku": "DESK-02", "change": "quantity", "from": 1, "to": 4}]
    assert entry["changes"][0] == f"Quantity of DESK-02 changed from 1 to 4 by {user.username}."


@pytest.mark.django_db
def test_a_bad_new_line_is_reported_at_its_index_in_the_request():
    customer, _user, client = dealer()
    chair = ProductFactory(sku="CHAIR-01")
    order = dealer_order(customer, products=[chair])

    response = client.patch(
        detail(order),
        {"lines": [{"sku": "CHAIR-01", "quantity": 1}, {"sku": "NOPE", "quantity": 1}]},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["lines[1].sku"]
    assert Order.objects.get(pk=order.pk).version == order.version


@pytest.mark.django_db
@pytest.mark.parametrize("status", [S.IN_REVIEW, S.APPROVED])
def test_once_in_review_the_dealer_is_told_order_managers_change_it(status):
    customer, _user, client = dealer()
    order = dealer_order(customer)
    order_transition(order_id=order.pk, to=status)

    response = client.patch(detail(order), {"notes": "too late"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "order_not_editable"
    assert "only order managers can change it" in response.json()["message"]
    assert Order.objects.get(pk=order.pk).notes == ""


@pytest.mark.django_db
def test_a_change_by_the_order_manager_shows_in_the_dealers_timeline_as_staff():
    customer, _user, client = dealer()
    order = dealer_order(customer, products=[ProductFactory(sku="TRK-001")], quantities=[2])
    order = order_transition(order_id=order.pk, to=S.APPROVED)
    line = OrderLine.objects.get(order=order)
    manager = UserFactory(first_name="Amy", last_name="Wu", is_staff=True)

    order_change(
        order_id=order.pk,
        actor=manager,
        expected_version=order.version,
        lines=[LineChange(line_id=line.pk, quantity=3)],
        reason="Customer called",
    )

    entry = timeline(client, order)[0]
    assert (entry["kind"], entry["actor"], entry["note"]) == ("order.updated", "Staff", "Customer called")
    assert entry["changes"][0] == "Quantity of TRK-001 changed from 2 to 3 by Staff."
    assert entry["data"]["header"][0]["field"] == "total"
    approved = next(e for e in timeline(client, order) if e["kind"] == "order.approved")
    assert approved["changes"] == []


@pytest.mark.django_db
def test_the_timeline_tells_changes_in_the_requests_language():
    customer, user, client = dealer()
    order = dealer_order(customer, products=[ProductFactory(sku="TRK-001")], actor=user)
    client.patch(detail(order), {"lines": [{"sku": "TRK-001", "quantity": 5}]}, format="json")

    english = timeline(client, order)[0]["changes"]
    chinese = client.get(f"/api/v1/orders/{order.number}/timeline/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()[
        "results"
    ][0]["changes"]

    assert len(chinese) == len(english)
    # The sentences are translated by the lead (locale/); the field names already are.
    assert english[-1].startswith("Total changed from")
    assert "合计" in chinese[-1]
    assert OrderEvent.objects.filter(order=order, kind="order.updated").count() == 1
