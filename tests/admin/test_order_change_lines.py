"""Order managers change an order's lines in the admin ("Change lines"), through order_change."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from crm.tests.factories import AddressFactory
from inventory.tests.factories import ProductFactory
from orders.models import Order, OrderEvent, OrderLine
from orders.services import order_change
from orders.states import OrderStatus
from orders.tests.factories import make_order, stock_and_allocate
from tests.admin.conftest import staff_in

S = OrderStatus


def lines_url(order) -> str:
    return reverse("admin:orders_order_lines", args=[order.pk])


def change_url(order) -> str:
    return reverse("admin:orders_order_change", args=[order.pk])


def lines_post(order, rows: list[dict], **extra) -> dict:
    data = {
        "version": order.version,
        "shipping_address": "",
        "reason": "",
        "lines-TOTAL_FORMS": str(len(rows)),
        "lines-INITIAL_FORMS": str(order.lines.count()),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    data.update(extra)
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"lines-{i}-{key}"] = value
    return data


def row(line, **changes) -> dict:
    return {"line_id": line.pk, "quantity": str(line.quantity), "options": "", **changes}


def state(order) -> tuple:
    fresh = Order.objects.get(pk=order.pk)
    lines = list(OrderLine.objects.filter(order=order).order_by("position").values_list("sku", "quantity"))
    return fresh.version, fresh.total, lines, OrderEvent.objects.filter(order=order).count()


def flashed(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.django_db
def test_the_order_page_links_to_change_lines_for_managers_only(manager_client, client, roles):
    order = make_order(status=S.APPROVED)

    page = manager_client.get(change_url(order)).content.decode()
    client.force_login(staff_in("Finance", username="finance"))
    viewer = client.get(change_url(order)).content.decode()

    assert lines_url(order) in page
    assert lines_url(order) not in viewer
    assert client.get(lines_url(order)).status_code == 403


@pytest.mark.django_db
def test_a_manager_changes_quantities_adds_and_removes_lines_of_an_allocated_order(manager, manager_client):
    truck, cab = ProductFactory(sku="TRK-001"), ProductFactory(sku="CAB-2")
    ProductFactory(sku="LED-9")
    order = make_order(products=[truck, cab], quantities=[2, 1], status=S.ALLOCATED)
    first, second = order.lines.order_by("position")

    response = manager_client.post(
        lines_url(order),
        lines_post(
            order,
            [
                row(first, quantity="1"),
                row(second, remove="on"),
                {"sku": "LED-9", "quantity": "2", "options": ""},
            ],
            reason="Customer called",
        ),
    )

    assert response.status_code == 302
    assert response["Location"] == change_url(order)
    order.refresh_from_db()
    assert list(order.lines.order_by("position").values_list("sku", "quantity", "quantity_allocated")) == [
        ("TRK-001", 1, 1),
        ("LED-9", 2, 0),
    ]
    assert order.allocation_status == "partial"  # nothing of LED-9 in stock: backordered
    event = order.events.get(kind="order.updated")
    assert (event.actor, event.note) == (manager, "Customer called")
    page = manager_client.get(change_url(order)).content.decode()
    assert "Quantity of TRK-001 changed from 2 to 1 by manager." in page


@pytest.mark.django_db
def test_the_address_can_be_changed_on_the_same_page(manager_client):
    order = make_order(status=S.APPROVED)
    other = AddressFactory(customer=order.customer, city="Chengdu", is_default_shipping=False)

    manager_client.post(
        lines_url(order), lines_post(order, [row(order.lines.get())], shipping_address=other.pk)
    )

    order.refresh_from_db()
    assert order.shipping_address["city"] == "Chengdu"


@pytest.mark.django_db
def test_a_stale_page_is_refused_and_nothing_changes(manager_client):
    order = make_order(status=S.APPROVED)
    loaded = lines_post(order, [row(order.lines.get(), quantity="5")])
    order_change(order_id=order.pk, actor=None, expected_version=order.version, notes="meanwhile")
    before = state(order)

    response = manager_client.post(lines_url(order), loaded)

    assert response.status_code == 200
    assert "Someone else changed this record" in str(response.context["form"].non_field_errors())
    assert state(order) == before


@pytest.mark.django_db
def test_a_bad_row_is_marked_and_nothing_changes(manager_client):
    order = make_order(status=S.APPROVED)
    before = state(order)

    response = manager_client.post(
        lines_url(order),
        lines_post(
            order, [row(order.lines.get(), quantity="3"), {"sku": "NOPE", "quantity": "1", "options": ""}]
        ),
    )

    assert response.status_code == 200
    rows = response.context["formset"].forms
    assert "Unknown SKU" in str(rows[1].errors["sku"])
    assert rows[0]["quantity"].value() == "3"
    assert state(order) == before


@pytest.mark.django_db
def test_once_ready_to_ship_the_page_sends_the_manager_back(manager_client):
    order = make_order(status=S.APPROVED)
    order = stock_and_allocate(order)
    Order.objects.filter(pk=order.pk).update(status=S.READY_TO_SHIP)  # set-up shortcut
    before = state(order)

    page = manager_client.get(lines_url(order))
    posted = manager_client.post(lines_url(order), lines_post(order, [row(order.lines.get(), quantity="9")]))

    assert page.status_code == 302
    assert "can no longer be changed" in flashed(page)[0]
    assert "can no longer be changed" in str(posted.context["form"].non_field_errors())
    assert lines_url(order) not in manager_client.get(change_url(order)).content.decode()
    assert state(order) == before


@pytest.mark.django_db
def test_the_header_of_an_approved_order_is_edited_through_the_service(manager_client):
    order = make_order(status=S.APPROVED)
    data = {
        "requested_delivery_date": "",
        "external_reference": "PO-77",
        "notes": "",
        "expected_version": order.version,
    }
    for prefix in ("lines", "events"):
        data.update(
            {f"{prefix}-{k}": 0 for k in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")}
        )

    response = manager_client.post(change_url(order), data)

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.external_reference == "PO-77"
    assert order.events.get(kind="order.updated").data["header"] == [
        {"field": "external_reference", "from": "", "to": "PO-77"}
    ]
