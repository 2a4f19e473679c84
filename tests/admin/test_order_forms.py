"""Creating and editing orders in the admin goes through orders.services."""

import datetime as dt
from html.parser import HTMLParser

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from crm.tests.factories import AddressFactory, CustomerFactory
from inventory.tests.factories import ProductFactory, ProductOptionFactory, ProductOptionValueFactory
from orders.models import Order, OrderEvent, OrderLine
from orders.services import order_update
from orders.states import OrderStatus
from orders.tests.factories import make_order

ADD = reverse("admin:orders_order_add")


def _customer():
    customer = CustomerFactory()
    AddressFactory(customer=customer)
    return customer


def _add_data(customer, lines: str, **extra) -> dict:
    return {
        "customer": customer.pk,
        "channel": "phone_email",
        "lines": lines,
        "submit": "on",
        "external_reference": "",
        "notes": "",
        "requested_delivery_date": "",
        "shipping_address": "",
        **extra,
    }


def _change_data(order, **fields) -> dict:
    data = {
        "requested_delivery_date": "",
        "external_reference": order.external_reference,
        "notes": order.notes,
        "expected_version": order.version,
    }
    # The read-only inlines post their management forms; nothing else of them is read.
    for prefix in ("lines", "events"):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": 0,
                f"{prefix}-INITIAL_FORMS": 0,
                f"{prefix}-MIN_NUM_FORMS": 0,
                f"{prefix}-MAX_NUM_FORMS": 0,
            }
        )
    data.update(fields)
    return data


@pytest.mark.django_db
def test_add_form_creates_a_priced_submitted_order_through_the_service(manager, manager_client):
    customer = _customer()
    plain = ProductFactory()
    option = ProductOptionFactory(code="colour")
    ProductOptionValueFactory(option=option, code="red")

    response = manager_client.post(
        ADD,
        _add_data(
            customer, f"{plain.sku} 2\n\n{option.product.sku} 1 colour=red", external_reference="PO-77"
        ),
    )

    assert response.status_code == 302
    order = Order.objects.get()
    assert (order.customer, order.status, order.external_reference) == (
        customer,
        OrderStatus.SUBMITTED,
        "PO-77",
    )
    assert list(order.lines.values_list("sku", "quantity", "options")) == [
        (plain.sku, 2, {}),
        (option.product.sku, 1, {"colour": "red"}),
    ]
    assert order.total > 0
    assert order.created_by == manager
    assert list(order.events.order_by("id").values_list("kind", flat=True)) == [
        "order.created",
        "order.submitted",
    ]


@pytest.mark.django_db
def test_add_form_shows_an_unknown_sku_on_its_row_and_writes_nothing(manager_client):
    customer = _customer()
    product = ProductFactory()

    response = manager_client.post(ADD, _add_data(customer, f"{product.sku} 1\nNOPE-1 3"))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["lines"] == ["Row 2: Unknown SKU “NOPE-1”."]
    assert Order.objects.count() == OrderLine.objects.count() == OrderEvent.objects.count() == 0


@pytest.mark.django_db
def test_add_form_puts_a_service_field_error_on_its_field(manager_client):
    customer = _customer()
    yesterday = timezone.localdate() - dt.timedelta(days=1)

    response = manager_client.post(
        ADD, _add_data(customer, f"{ProductFactory().sku} 1", requested_delivery_date=yesterday.isoformat())
    )

    errors = response.context["adminform"].form.errors
    assert errors["requested_delivery_date"] == ["The date cannot be in the past."]
    assert Order.objects.count() == 0


@pytest.mark.django_db
def test_add_form_refuses_rows_it_cannot_read_before_calling_the_service(manager_client):
    customer = _customer()

    response = manager_client.post(ADD, _add_data(customer, "SKU-1 two\nSKU-2 1 colour"))

    assert response.context["adminform"].form.errors["lines"] == [
        "Row 1: write the SKU, then a whole quantity.",
        "Row 2: “colour” is not option=value.",
    ]
    assert Order.objects.count() == 0


@pytest.mark.django_db
def test_add_form_reports_a_duplicate_external_reference_on_top(manager_client):
    customer = _customer()
    existing = make_order(customer=customer, external_reference="PO-1")

    response = manager_client.post(
        ADD, _add_data(customer, f"{ProductFactory().sku} 1", external_reference="PO-1")
    )

    assert existing.number in str(response.context["adminform"].form.non_field_errors())
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_change_form_edits_the_header_through_the_service(manager, manager_client):
    order = make_order()

    response = manager_client.post(
        reverse("admin:orders_order_change", args=[order.pk]), _change_data(order, notes="Deliver to gate 3")
    )

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.notes == "Deliver to gate 3"
    assert order.version == 2
    event = order.events.get(kind="order.updated")
    assert event.data == {
        "fields": ["notes"],
        "header": [{"field": "notes", "from": "", "to": "Deliver to gate 3"}],
        "lines": [],
    }
    assert event.actor == manager


@pytest.mark.django_db
def test_stale_version_on_the_change_form_is_refused_and_nothing_changes(manager_client):
    order = make_order()
    loaded = _change_data(order, notes="Mine")
    order_update(order_id=order.pk, notes="Theirs")
    events_before = order.events.count()
    change_url = reverse("admin:orders_order_change", args=[order.pk])

    response = manager_client.post(change_url, loaded)

    order.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == change_url
    assert order.notes == "Theirs"
    assert order.version == 2
    assert order.events.count() == events_before
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Someone else changed this record meanwhile. Reload it and try again."
    ]


@pytest.mark.django_db
def test_change_form_carries_the_loaded_version_in_a_hidden_field(manager_client):
    order = make_order()
    order_update(order_id=order.pk, notes="v2")

    response = manager_client.get(reverse("admin:orders_order_change", args=[order.pk]))

    assert '<input type="hidden" name="expected_version" value="2"' in response.content.decode()


@pytest.mark.django_db
def test_status_and_totals_are_not_form_fields(manager_client):
    order = make_order()

    form = manager_client.get(reverse("admin:orders_order_change", args=[order.pk])).context["adminform"].form

    assert set(form.fields) == {"requested_delivery_date", "external_reference", "notes", "expected_version"}


class _FormInputs(HTMLParser):
    """The values a browser would post from the order change form (inputs and textareas)."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] = {}
        self._in_form = False
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == "order_form":
            self._in_form = True
        elif self._in_form and tag == "input" and attrs.get("name") and attrs.get("type") not in ("submit",):
            self.data[attrs["name"]] = attrs.get("value") or ""
        elif self._in_form and tag == "textarea":
            self._textarea = attrs["name"]
            self.data[self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._in_form = False


@pytest.mark.django_db
def test_change_form_posted_as_rendered_saves_with_its_read_only_lines_and_timeline(manager_client):
    order = make_order(products=[ProductFactory(), ProductFactory()])
    change_url = reverse("admin:orders_order_change", args=[order.pk])
    parser = _FormInputs()
    parser.feed(manager_client.get(change_url).content.decode())

    response = manager_client.post(change_url, {**parser.data, "notes": "Call before delivery"})

    assert parser.data["lines-INITIAL_FORMS"] == "2"
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.notes == "Call before delivery"
    assert order.lines.count() == 2


@pytest.mark.django_db
def test_add_form_names_the_row_and_option_of_a_missing_required_option(manager_client):
    customer = _customer()
    option = ProductOptionFactory(code="cab")
    ProductOptionValueFactory(option=option, code="day")

    response = manager_client.post(ADD, _add_data(customer, f"\n{option.product.sku} 1"))

    assert response.context["adminform"].form.errors["lines"] == [
        "Row 2, option cab: This option is required."
    ]
    assert Order.objects.count() == 0
