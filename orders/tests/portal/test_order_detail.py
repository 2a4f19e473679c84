import pytest

from crm.tests.factories import CustomerFactory, dealer_user
from inventory.tests.factories import ProductFactory
from orders.models import OrderEvent
from orders.services import order_transition
from orders.states import OrderStatus
from orders.tests.factories import make_order, stock_and_allocate


@pytest.mark.django_db
def test_dealer_sees_own_order_with_lines_totals_timeline_and_a_cancel_form(client, dealer, dealer_customer):
    order = make_order(customer=dealer_customer, products=[ProductFactory(sku="DESK-9")], quantities=[2])
    client.force_login(dealer)

    response = client.get(f"/portal/orders/{order.number}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert order.number in page
    assert "DESK-9" in page
    assert f"{order.total:,.2f}" in page
    assert '<span class="kind" data-kind="order.created">Created</span>' in page
    assert '<span class="kind" data-kind="order.submitted">Submitted</span>' in page
    assert response.context["cancel_form"] is not None


@pytest.mark.django_db
def test_the_timeline_shows_labels_and_hides_the_systems_bookkeeping_from_dealers(
    client, dealer, dealer_customer, rep, rep_customer
):
    own = make_order(customer=dealer_customer)
    looked_after = make_order(customer=rep_customer)
    for order in (own, looked_after):
        OrderEvent.record(order=order, kind="order.priority_scored", data={"from": 0, "to": 10})

    client.force_login(dealer)
    dealer_page = client.get(f"/portal/orders/{own.number}/").content.decode()
    client.force_login(rep)
    rep_page = client.get(f"/portal/orders/{looked_after.number}/").content.decode()

    assert "Priority recalculated" not in dealer_page
    assert ">Priority recalculated</span>" in rep_page
    assert ">order.priority_scored<" not in rep_page


@pytest.mark.django_db
def test_another_dealers_order_is_a_404(client, dealer):
    someone_else = make_order(customer=CustomerFactory())
    dealer_user(someone_else.customer)
    client.force_login(dealer)

    response = client.get(f"/portal/orders/{someone_else.number}/")

    assert response.status_code == 404


@pytest.mark.django_db
def test_rep_may_change_and_cancel_a_customers_order_until_it_is_approved(client, rep, rep_customer):
    submitted = make_order(customer=rep_customer)
    approved = make_order(customer=rep_customer, status=OrderStatus.APPROVED)
    client.force_login(rep)

    before = client.get(f"/portal/orders/{submitted.number}/")
    after = client.get(f"/portal/orders/{approved.number}/")

    assert before.context["cancel_form"] is not None
    assert before.context["can_edit_order"] is True
    assert f"/portal/orders/{submitted.number}/edit/" in before.content.decode()
    assert after.status_code == 200
    assert after.context["cancel_form"] is None
    assert after.context["can_edit_order"] is False
    assert b"Cancel order" not in after.content


@pytest.mark.django_db
def test_rep_gets_a_404_for_an_order_of_a_customer_the_rep_does_not_look_after(
    client, rep, rep_customer, dealer_customer
):
    order = make_order(customer=dealer_customer)
    client.force_login(rep)

    response = client.get(f"/portal/orders/{order.number}/")

    assert response.status_code == 404


@pytest.mark.django_db
def test_no_cancel_button_once_the_order_is_ready_to_ship(client, dealer, dealer_customer):
    order = make_order(customer=dealer_customer)
    order = order_transition(order_id=order.pk, to=OrderStatus.APPROVED)
    order = stock_and_allocate(order)
    order_transition(order_id=order.pk, to=OrderStatus.READY_TO_SHIP)
    client.force_login(dealer)

    response = client.get(f"/portal/orders/{order.number}/")

    assert response.context["cancel_form"] is None


@pytest.mark.django_db
def test_detail_needs_login(client, dealer_customer):
    order = make_order(customer=dealer_customer)

    response = client.get(f"/portal/orders/{order.number}/")

    assert response.status_code == 302
