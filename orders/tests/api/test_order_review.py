"""The dealer API shows where an order's review stands, read-only, without a query per order."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.roles import ORDER_MANAGER, SALES_DIRECTOR
from inventory.tests.factories import ProductFactory
from orders.models import ReviewRule
from orders.services import order_approve, order_request_changes, order_review_open
from orders.tests.api.support import dealer, dealer_order
from orders.tests.review import make_rule, only_rules, staff_in, total_above

URL = "/api/v1/orders/"


@pytest.fixture
def two_levels(db):
    return only_rules(
        ReviewRule.objects.get(name="Every order"),  # the default rule (migration orders 0004)
        make_rule("Large", total_above(0), SALES_DIRECTOR, level=2),
    )


def detail(client, order) -> dict:
    response = client.get(f"{URL}{order.number}/")
    assert response.status_code == 200
    return response.json()


def test_a_new_order_has_no_review_yet(two_levels):
    _customer, _user, client = dealer()
    response = client.post(URL, {"lines": [{"sku": ProductFactory().sku, "quantity": 1}]}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["review"] is None


def test_the_detail_names_the_approvals_still_to_come_without_people(two_levels):
    customer, _user, client = dealer()
    order = dealer_order(customer)
    order_review_open(order_id=order.pk)
    order_approve(order_id=order.pk, actor=staff_in(ORDER_MANAGER), reason="internal note")

    review = detail(client, order)["review"]

    assert review["status"] == "waiting"
    assert review["round"] == 1
    assert review["waiting_for"] == [
        {"level": 2, "role": "Sales director", "decision": "pending", "comment": "", "decided_at": None}
    ]
    [decision] = review["decisions"]
    assert (decision["level"], decision["role"], decision["decision"]) == (1, "Order manager", "approved")
    # an approver's own note is the seller's business
    assert decision["comment"] == ""
    assert decision["decided_at"] is not None


def test_requested_changes_come_with_the_reviewers_reasons(two_levels):
    customer, _user, client = dealer()
    order = dealer_order(customer)
    order_review_open(order_id=order.pk)
    order_request_changes(order_id=order.pk, actor=staff_in(ORDER_MANAGER), reason="Split the delivery.")

    body = detail(client, order)

    assert body["status"] == "draft"
    assert body["review"]["status"] == "changes_requested"
    assert body["review"]["waiting_for"] == []
    assert [(d["decision"], d["comment"]) for d in body["review"]["decisions"]] == [
        ("changes_requested", "Split the delivery.")
    ]


def test_the_list_shows_reviews_in_a_fixed_number_of_queries(two_levels):
    customer, _user, client = dealer()
    first = dealer_order(customer)
    order_review_open(order_id=first.pk)
    client.get(URL)
    with CaptureQueriesContext(connection) as one:
        client.get(URL)

    for _ in range(5):
        order = dealer_order(customer)
        order_review_open(order_id=order.pk)
    with CaptureQueriesContext(connection) as six:
        results = client.get(URL).json()["results"]

    assert len(six.captured_queries) == len(one.captured_queries)
    assert {r["review"]["status"] for r in results} == {"waiting"}


@pytest.mark.django_db
def test_the_detail_reads_the_review_in_as_many_queries_as_without_one():
    customer, _user, client = dealer()
    order = dealer_order(customer)
    client.get(f"{URL}{order.number}/")
    with CaptureQueriesContext(connection) as before:
        client.get(f"{URL}{order.number}/")
    order_review_open(order_id=order.pk)

    with CaptureQueriesContext(connection) as after:
        client.get(f"{URL}{order.number}/")

    assert len(after.captured_queries) == len(before.captured_queries)


def test_a_dealer_changes_a_sent_back_order_and_submits_it_for_a_new_round(two_levels):
    customer, _user, client = dealer()
    order = dealer_order(customer)
    order_review_open(order_id=order.pk)
    order = order_request_changes(order_id=order.pk, actor=staff_in(ORDER_MANAGER), reason="Fewer units.")
    patched = client.patch(
        f"{URL}{order.number}/", {"notes": "halved"}, format="json", HTTP_IF_MATCH=f'"{order.version}"'
    )
    assert patched.status_code == 200, patched.content

    response = client.post(
        f"{URL}{order.number}/submit/", {}, format="json", HTTP_IF_MATCH=f'"{patched.json()["version"]}"'
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "in_review"
    assert (body["review"]["status"], body["review"]["round"]) == ("waiting", 2)
    assert [step["role"] for step in body["review"]["waiting_for"]] == ["Order manager", "Sales director"]


def test_an_order_past_review_is_not_submitted_again(two_levels):
    customer, _user, client = dealer()
    order = dealer_order(customer, status="approved")

    response = client.post(f"{URL}{order.number}/submit/", {}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


def test_a_stale_version_is_not_submitted(two_levels):
    customer, _user, client = dealer()
    order = dealer_order(customer, submit=False)

    response = client.post(f"{URL}{order.number}/submit/", {"version": order.version + 1}, format="json")

    assert response.status_code == 409
    order.refresh_from_db()
    assert order.status == "draft"
