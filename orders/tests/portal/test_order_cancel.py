import pytest

from crm.tests.factories import CustomerFactory, dealer_user
from orders.models import OrderEvent
from orders.services import order_transition
from orders.states import OrderStatus
from orders.tests.factories import make_order, stock_and_allocate


@pytest.mark.django_db
def test_dealer_cancels_own_order_with_a_reason(client, dealer, dealer_customer):
    order = make_order(customer=dealer_customer)
    client.force_login(dealer)

    response = client.post(
        f"/portal/orders/{order.number}/cancel/",
        {"reason": "Ordered twice", "version": order.version},
        follow=True,
    )

    order.refresh_from_db()
    event = order.events.get(kind="order.cancelled")
    assert order.status == OrderStatus.CANCELLED
    assert event.note == "Ordered twice"
    assert event.actor == dealer
    assert f"Order {order.number} was cancelled." in response.content.decode()


@pytest.mark.django_db
def test_cancel_without_a_reason_is_refused_and_nothing_changes(client, dealer, dealer_customer):
    order = make_order(customer=dealer_customer)
    events_before = OrderEvent.objects.count()
    client.force_login(dealer)

    response = client.post(f"/portal/orders/{order.number}/cancel/", {"reason": "", "version": order.version})

    order.refresh_from_db()
    assert response.status_code == 200
    assert "reason" in response.context["cancel_form"].errors
    assert order.status == OrderStatus.SUBMITTED
    assert OrderEvent.objects.count() == events_before


@pytest.mark.django_db
def test_the_services_refusal_is_shown_on_the_form_and_nothing_changes(client, dealer, dealer_customer):
    order = make_order(customer=dealer_customer)
    order = order_transition(order_id=order.pk, to=OrderStatus.APPROVED)
    order = stock_and_allocate(order)
    order = order_transition(order_id=order.pk, to=OrderStatus.READY_TO_SHIP)
    events_before = OrderEvent.objects.count()
    client.force_login(dealer)

    response = client.post(
        f"/portal/orders/{order.number}/cancel/", {"reason": "Too late", "version": order.version}
    )

    order.refresh_from_db()
    assert response.status_code == 200
    assert (
        "cannot go from “Ready to ship” to “Cancelled”"
        in response.context["cancel_form"].non_field_errors()[0]
    )
    assert order.status == OrderStatus.READY_TO_SHIP
    assert OrderEvent.objects.count() == events_before


@pytest.mark.django_db
def test_cancelling_an_order_changed_meanwhile_is_refused(client, dealer, dealer_customer):
    order = make_order(customer=dealer_customer)
    stale = order.version
    order_transition(order_id=order.pk, to=OrderStatus.IN_REVIEW)
    client.force_login(dealer)

    response = client.post(
        f"/portal/orders/{order.number}/cancel/", {"reason": "Changed mind", "version": stale}
    )

    order.refresh_from_db()
    assert "Someone else changed this record" in response.content.decode()
    assert order.status == OrderStatus.IN_REVIEW


@pytest.mark.django_db
def test_a_dealer_cannot_cancel_another_dealers_order(client, dealer):
    other = make_order(customer=CustomerFactory())
    dealer_user(other.customer)
    client.force_login(dealer)

    response = client.post(
        f"/portal/orders/{other.number}/cancel/", {"reason": "x", "version": other.version}
    )

    other.refresh_from_db()
    assert response.status_code == 404
    assert other.status == OrderStatus.SUBMITTED


@pytest.mark.django_db
def test_a_rep_cannot_cancel_through_the_portal(client, rep, rep_customer):
    order = make_order(customer=rep_customer)
    client.force_login(rep)

    response = client.post(
        f"/portal/orders/{order.number}/cancel/", {"reason": "x", "version": order.version}
    )

    order.refresh_from_db()
    assert response.status_code == 403
    assert order.status == OrderStatus.SUBMITTED
