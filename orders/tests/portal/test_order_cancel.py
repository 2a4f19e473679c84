import pytest

from crm.tests.factories import CustomerFactory, UserFactory, dealer_user
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
@pytest.mark.parametrize("status", [OrderStatus.DRAFT, OrderStatus.SUBMITTED, OrderStatus.IN_REVIEW])
def test_a_rep_cancels_a_customers_order_before_approval_with_a_reason(client, rep, rep_customer, status):
    order = make_order(customer=rep_customer, status=status)
    client.force_login(rep)

    page = client.get(f"/portal/orders/{order.number}/")
    response = client.post(
        f"/portal/orders/{order.number}/cancel/", {"reason": "Customer withdrew", "version": order.version}
    )

    order.refresh_from_db()
    assert page.context["cancel_form"] is not None
    assert response.status_code == 302
    assert order.status == OrderStatus.CANCELLED
    event = order.events.get(kind="order.cancelled")
    assert (event.note, event.actor) == ("Customer withdrew", rep)


@pytest.mark.django_db
def test_a_rep_cannot_cancel_an_approved_order_and_is_told_who_can(client, rep, rep_customer):
    order = make_order(customer=rep_customer, status=OrderStatus.APPROVED)
    events_before = OrderEvent.objects.count()
    client.force_login(rep)

    page = client.get(f"/portal/orders/{order.number}/")
    response = client.post(
        f"/portal/orders/{order.number}/cancel/", {"reason": "Too late", "version": order.version}
    )

    order.refresh_from_db()
    assert page.context["cancel_form"] is None
    assert response.status_code == 200
    assert "only order managers can change it" in response.context["cancel_form"].non_field_errors()[0]
    assert order.status == OrderStatus.APPROVED
    assert OrderEvent.objects.count() == events_before


@pytest.mark.django_db
def test_a_rep_cannot_cancel_another_reps_customers_order(client, rep):
    other = make_order(customer=CustomerFactory(sales_rep=UserFactory()))
    client.force_login(rep)
    CustomerFactory(sales_rep=rep)  # rep has customers of their own

    response = client.post(
        f"/portal/orders/{other.number}/cancel/", {"reason": "x", "version": other.version}
    )

    other.refresh_from_db()
    assert response.status_code == 404
    assert other.status == OrderStatus.SUBMITTED


@pytest.mark.django_db
def test_someone_neither_rep_nor_dealer_cannot_cancel(client, outsider, rep_customer):
    order = make_order(customer=rep_customer)
    client.force_login(outsider)

    response = client.post(
        f"/portal/orders/{order.number}/cancel/", {"reason": "x", "version": order.version}
    )

    order.refresh_from_db()
    assert response.status_code == 403
    assert order.status == OrderStatus.SUBMITTED
