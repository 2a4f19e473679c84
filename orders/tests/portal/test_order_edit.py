"""A sales rep corrects a customer's order before approval: lines, quantities, dates, address."""

import datetime as dt

import pytest
from django.utils import timezone

from crm.tests.factories import AddressFactory, CustomerFactory, UserFactory
from inventory.tests.factories import ProductFactory
from orders.models import Order, OrderEvent, OrderLine
from orders.services import order_change
from orders.states import OrderStatus
from orders.tests.factories import make_order

S = OrderStatus


def edit_url(order) -> str:
    return f"/portal/orders/{order.number}/edit/"


def edit_post(order, rows: list[dict], **header) -> dict:
    """The page's form as a browser posts it: the header as shown, then `rows` (existing rows first)."""
    address = order.shipping_address
    data = {
        "requested_delivery_date": order.requested_delivery_date.isoformat()
        if order.requested_delivery_date
        else "",
        "saved_address": "",
        **{
            name: address.get(name) or ""
            for name in ("recipient", "phone", "region", "city", "district", "line1", "postal_code")
        },
        "external_reference": order.external_reference,
        "notes": order.notes,
        "reason": "",
        "version": order.version,
        "lines-TOTAL_FORMS": str(len(rows)),
        "lines-INITIAL_FORMS": str(order.lines.count()),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    data.update(header)
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"lines-{i}-{key}"] = value
    return data


def existing(line, **changes) -> dict:
    row = {"line_id": line.pk, "quantity": str(line.quantity), "options": ""}
    row.update(changes)
    return row


def blank() -> dict:
    return {"line_id": "", "sku": "", "quantity": "", "options": ""}


def state(order) -> tuple:
    fresh = Order.objects.get(pk=order.pk)
    lines = list(OrderLine.objects.filter(order=order).order_by("position").values_list("sku", "quantity"))
    return fresh.version, fresh.notes, fresh.shipping_address, lines, OrderEvent.objects.count()


@pytest.mark.django_db
def test_the_page_shows_the_order_as_it_is_with_its_version(client, rep, rep_customer):
    order = make_order(customer=rep_customer, products=[ProductFactory(sku="CHAIR-01")], quantities=[2])
    client.force_login(rep)

    response = client.get(edit_url(order))

    assert response.status_code == 200
    form, formset = response.context["form"], response.context["formset"]
    assert form.initial["version"] == order.version
    assert form.initial["city"] == "Guangzhou"
    assert formset.forms[0].initial == {
        "line_id": order.lines.get().pk,
        "position": 1,
        "sku": "CHAIR-01",
        "quantity": 2,
        "options": "",
    }
    assert formset.forms[0].fields["sku"].disabled
    assert 'name="version"' in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("status", [S.DRAFT, S.SUBMITTED, S.IN_REVIEW])
def test_a_rep_changes_lines_dates_and_address_in_one_go(client, rep, rep_customer, status):
    chair, desk = ProductFactory(sku="CHAIR-01"), ProductFactory(sku="DESK-02")
    ProductFactory(sku="LAMP-03")
    order = make_order(customer=rep_customer, products=[chair, desk], quantities=[2, 1], status=status)
    first, second = order.lines.order_by("position")
    requested = timezone.localdate() + dt.timedelta(days=20)
    client.force_login(rep)

    response = client.post(
        edit_url(order),
        edit_post(
            order,
            [
                existing(first, quantity="5"),
                existing(second, remove="on"),
                {"sku": "LAMP-03", "quantity": "3", "options": ""},
                blank(),
            ],
            requested_delivery_date=requested.isoformat(),
            city="Foshan",
            line1="9 Lake Road",
            reason="Customer called",
        ),
    )

    assert response.status_code == 302
    order.refresh_from_db()
    assert list(order.lines.order_by("position").values_list("sku", "quantity", "position")) == [
        ("CHAIR-01", 5, 1),
        ("LAMP-03", 3, 3),
    ]
    assert order.requested_delivery_date == requested
    assert (order.shipping_address["city"], order.shipping_address["line1"]) == ("Foshan", "9 Lake Road")
    event = order.events.get(kind="order.updated")
    assert (event.actor, event.note) == (rep, "Customer called")
    assert [entry["change"] for entry in event.data["lines"]] == ["removed", "quantity", "added"]
    detail = client.get(f"/portal/orders/{order.number}/").content.decode()
    assert "Quantity of CHAIR-01 changed from 2 to 5 by rep-rita." in detail


@pytest.mark.django_db
def test_a_saved_address_can_be_chosen(client, rep, rep_customer):
    order = make_order(customer=rep_customer)
    other = AddressFactory(customer=rep_customer, city="Chengdu", region="Sichuan", is_default_shipping=False)
    client.force_login(rep)

    client.post(edit_url(order), edit_post(order, [existing(order.lines.get())], saved_address=other.pk))

    order.refresh_from_db()
    assert order.shipping_address["city"] == "Chengdu"


@pytest.mark.django_db
def test_refusals_land_on_their_fields_and_nothing_typed_is_lost(client, rep, rep_customer):
    order = make_order(customer=rep_customer, products=[ProductFactory(sku="CHAIR-01")])
    before = state(order)
    client.force_login(rep)

    response = client.post(
        edit_url(order),
        edit_post(
            order,
            [existing(order.lines.get(), quantity="4"), {"sku": "NOPE", "quantity": "2", "options": ""}],
            requested_delivery_date=(timezone.localdate() - dt.timedelta(days=1)).isoformat(),
            notes="keep me",
            city="",
        ),
    )

    assert response.status_code == 200
    form, formset = response.context["form"], response.context["formset"]
    assert "city" in form.errors
    assert state(order) == before
    # The form was refused before the service, for the city; with it given the service refuses the rest.
    response = client.post(
        edit_url(order),
        edit_post(
            order,
            [existing(order.lines.get(), quantity="4"), {"sku": "NOPE", "quantity": "2", "options": ""}],
            requested_delivery_date=(timezone.localdate() - dt.timedelta(days=1)).isoformat(),
            notes="keep me",
        ),
    )
    form, formset = response.context["form"], response.context["formset"]
    assert "requested_delivery_date" in form.errors
    assert "Unknown SKU" in str(formset.forms[1].errors["sku"])
    assert formset.forms[0]["quantity"].value() == "4"
    assert form["notes"].value() == "keep me"
    assert state(order) == before


@pytest.mark.django_db
def test_a_changed_order_is_refused_with_the_version_seen(client, rep, rep_customer):
    order = make_order(customer=rep_customer)
    loaded = edit_post(order, [existing(order.lines.get(), quantity="7")])
    order_change(order_id=order.pk, actor=None, expected_version=order.version, notes="someone else")
    before = state(order)
    client.force_login(rep)

    response = client.post(edit_url(order), loaded)

    assert response.status_code == 200
    assert "Someone else changed this record" in response.content.decode()
    assert state(order) == before


@pytest.mark.django_db
def test_after_approval_the_rep_is_sent_back_and_a_post_changes_nothing(client, rep, rep_customer):
    order = make_order(customer=rep_customer, status=S.APPROVED)
    before = state(order)
    client.force_login(rep)

    page = client.get(edit_url(order), follow=True)
    response = client.post(edit_url(order), edit_post(order, [existing(order.lines.get(), quantity="9")]))

    assert page.redirect_chain[-1][0] == f"/portal/orders/{order.number}/"
    assert "only order managers can change it" in page.content.decode()
    assert "only order managers can change it" in response.content.decode()
    assert state(order) == before


@pytest.mark.django_db
def test_another_reps_customers_order_is_404_and_a_dealer_has_no_access(client, rep, dealer, dealer_customer):
    other = make_order(customer=CustomerFactory(sales_rep=UserFactory()))
    CustomerFactory(sales_rep=rep)
    own = make_order(customer=dealer_customer)

    client.force_login(rep)
    assert client.get(edit_url(other)).status_code == 404
    assert client.post(edit_url(other), edit_post(other, [existing(other.lines.get())])).status_code == 404
    client.force_login(dealer)
    assert client.get(edit_url(own)).status_code == 403
