"""The portal's review card and Submit button: reps and dealers see where review stands and resubmit a
draft that was sent back with requested changes."""

import pytest

from crm.roles import ORDER_MANAGER
from orders.services import order_request_changes, order_review_open
from orders.states import OrderStatus
from orders.tests.factories import make_order
from orders.tests.review import make_rule, only_rules, staff_in

S = OrderStatus


@pytest.fixture
def every_order_reviewed(db):
    return only_rules(make_rule("Every portal order", {"all": []}, ORDER_MANAGER))


def _sent_back(customer, reason="Please split the delivery"):
    order = order_review_open(order_id=make_order(customer=customer).pk)
    return order_request_changes(order_id=order.pk, actor=staff_in(ORDER_MANAGER), reason=reason)


@pytest.mark.django_db
def test_the_dealer_reads_the_requested_changes_and_submits_again(
    client, dealer, dealer_customer, every_order_reviewed
):
    order = _sent_back(dealer_customer)
    client.force_login(dealer)

    page = client.get(f"/portal/orders/{order.number}/").content.decode()
    assert "Changes requested" in page
    assert "Please split the delivery" in page
    assert "Submit for review" in page

    response = client.post(f"/portal/orders/{order.number}/submit/", {"version": order.version}, follow=True)

    order.refresh_from_db()
    assert order.status == S.IN_REVIEW  # a new round: the rule asks again
    assert order.approvals.filter(round=2, status="pending").count() == 1
    assert f"Order {order.number} was submitted for review." in response.content.decode()


@pytest.mark.django_db
def test_a_stale_submit_is_refused_and_changes_nothing(client, dealer, dealer_customer, every_order_reviewed):
    order = _sent_back(dealer_customer)
    client.force_login(dealer)

    response = client.post(
        f"/portal/orders/{order.number}/submit/", {"version": order.version - 1}, follow=True
    )

    order.refresh_from_db()
    assert order.status == S.DRAFT
    assert response.status_code == 200
    assert 'class="message error"' in response.content.decode()


@pytest.mark.django_db
def test_a_rep_submits_a_customers_draft(client, rep, rep_customer, every_order_reviewed):
    order = _sent_back(rep_customer)
    client.force_login(rep)

    client.post(f"/portal/orders/{order.number}/submit/", {"version": order.version})

    order.refresh_from_db()
    assert order.status == S.IN_REVIEW


@pytest.mark.django_db
def test_someone_elses_draft_cannot_be_submitted(client, outsider, dealer_customer, every_order_reviewed):
    order = _sent_back(dealer_customer)
    client.force_login(outsider)

    response = client.post(f"/portal/orders/{order.number}/submit/", {"version": order.version})

    order.refresh_from_db()
    assert order.status == S.DRAFT
    assert response.status_code in (403, 404)


@pytest.mark.django_db
def test_the_card_shows_what_waits_and_no_submit_button_once_submitted(
    client, dealer, dealer_customer, every_order_reviewed
):
    order = order_review_open(order_id=make_order(customer=dealer_customer).pk)
    client.force_login(dealer)

    page = client.get(f"/portal/orders/{order.number}/").content.decode()

    assert "Waiting for approval" in page
    assert "Level 1 · Order manager" in page
    assert "Submit for review" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("version", ["", "abc", "99999999999"])
def test_a_submit_without_the_version_shown_is_refused_and_changes_nothing(
    client, dealer, dealer_customer, every_order_reviewed, version
):
    order = _sent_back(dealer_customer)
    client.force_login(dealer)

    response = client.post(f"/portal/orders/{order.number}/submit/", {"version": version}, follow=True)

    order.refresh_from_db()
    assert order.status == S.DRAFT
    assert "Reload the order and submit it from its page." in response.content.decode()
