import datetime as dt

import pytest
from django.utils import timezone

from crm.tests.factories import CustomerFactory
from inventory.tests.factories import ProductFactory, ProductOptionFactory, ProductOptionValueFactory
from orders.models import Channel, Order, OrderEvent, OrderLine


def order_post(customer, lines, **header):
    data = {
        "customer": customer.pk,
        "requested_delivery_date": "",
        "external_reference": "",
        "notes": "",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    data.update(header)
    for i, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{i}-{key}"] = value
    return data


def nothing_written():
    return Order.objects.count() == 0 and OrderLine.objects.count() == 0 and OrderEvent.objects.count() == 0


@pytest.mark.django_db
def test_rep_opens_the_form_with_only_own_customers_to_choose(client, rep, rep_customer, dealer_customer):
    client.force_login(rep)

    response = client.get("/portal/orders/new/")

    assert response.status_code == 200
    assert list(response.context["form"].fields["customer"].queryset) == [rep_customer]


@pytest.mark.django_db
def test_rep_creates_an_order_through_the_form(client, rep, rep_customer, product):
    colour = ProductOptionFactory(product=product, code="colour")
    ProductOptionValueFactory(option=colour, code="red")
    second = ProductFactory(sku="DESK-02")
    client.force_login(rep)
    requested = timezone.localdate() + dt.timedelta(days=20)

    response = client.post(
        "/portal/orders/new/",
        order_post(
            rep_customer,
            [
                {"sku": "CHAIR-01", "quantity": "2", "options": "colour=red"},
                {"sku": "", "quantity": "", "options": ""},
                {"sku": "DESK-02", "quantity": "1", "options": ""},
            ],
            requested_delivery_date=requested.isoformat(),
            external_reference="PO-55",
            notes="Call first",
        ),
    )

    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/portal/orders/{order.number}/"
    assert order.customer == rep_customer
    assert order.channel == Channel.SALES_REP
    assert order.created_by == rep
    assert order.requested_delivery_date == requested
    assert order.external_reference == "PO-55"
    assert order.notes == "Call first"
    assert [(line.sku, line.quantity, line.options) for line in order.lines.order_by("position")] == [
        ("CHAIR-01", 2, {"colour": "red"}),
        (second.sku, 1, {}),
    ]


@pytest.mark.django_db
def test_service_field_errors_land_on_the_right_line_and_nothing_is_written(
    client, rep, rep_customer, product
):
    ProductFactory(sku="BOX-6", pack_size=6)
    client.force_login(rep)

    response = client.post(
        "/portal/orders/new/",
        order_post(
            rep_customer,
            [
                {"sku": "CHAIR-01", "quantity": "1"},
                {"sku": "", "quantity": ""},
                {"sku": "BOX-6", "quantity": "4"},
                {"sku": "NOPE", "quantity": "1"},
            ],
        ),
    )

    forms = response.context["formset"].forms
    assert response.status_code == 200
    assert forms[2].errors == {"quantity": ["BOX-6 is sold in packs of 6."]}
    assert forms[3].errors == {"sku": ["Unknown SKU “NOPE”."]}
    assert not forms[0].errors
    assert not forms[1].errors
    assert nothing_written()


@pytest.mark.django_db
def test_an_option_error_lands_on_the_options_field_of_its_line(client, rep, rep_customer, product):
    ProductOptionValueFactory(option=ProductOptionFactory(product=product, code="colour"), code="red")
    client.force_login(rep)

    response = client.post(
        "/portal/orders/new/",
        order_post(rep_customer, [{"sku": "CHAIR-01", "quantity": "1", "options": "colour=green"}]),
    )

    errors = response.context["formset"].forms[0].errors
    assert list(errors) == ["options"]
    assert errors["options"][0].startswith("colour: “green” is not an allowed value")
    assert nothing_written()


@pytest.mark.django_db
def test_a_date_in_the_past_lands_on_the_date_field(client, rep, rep_customer, product):
    client.force_login(rep)
    yesterday = timezone.localdate() - dt.timedelta(days=1)

    response = client.post(
        "/portal/orders/new/",
        order_post(
            rep_customer,
            [{"sku": "CHAIR-01", "quantity": "1"}],
            requested_delivery_date=yesterday.isoformat(),
        ),
    )

    assert response.context["form"].errors == {"requested_delivery_date": ["The date cannot be in the past."]}
    assert nothing_written()


@pytest.mark.django_db
def test_an_order_without_lines_is_refused_with_a_lines_error(client, rep, rep_customer):
    client.force_login(rep)

    response = client.post("/portal/orders/new/", order_post(rep_customer, [{"sku": "", "quantity": ""}]))

    assert response.context["formset"].non_form_errors() == ["An order needs at least one line."]
    assert b"An order needs at least one line." in response.content
    assert nothing_written()


@pytest.mark.django_db
def test_badly_written_options_are_refused_before_the_service_is_asked(client, rep, rep_customer, product):
    client.force_login(rep)

    response = client.post(
        "/portal/orders/new/",
        order_post(rep_customer, [{"sku": "CHAIR-01", "quantity": "1", "options": "colour"}]),
    )

    assert "options" in response.context["formset"].forms[0].errors
    assert nothing_written()


@pytest.mark.django_db
def test_a_repeated_external_reference_is_a_form_error_naming_the_existing_order(
    client, rep, rep_customer, product
):
    client.force_login(rep)
    client.post(
        "/portal/orders/new/",
        order_post(rep_customer, [{"sku": "CHAIR-01", "quantity": "1"}], external_reference="PO-1"),
    )
    first = Order.objects.get()

    response = client.post(
        "/portal/orders/new/",
        order_post(rep_customer, [{"sku": "CHAIR-01", "quantity": "1"}], external_reference="PO-1"),
    )

    assert first.number in response.context["form"].non_field_errors()[0]
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_a_rep_cannot_order_for_a_customer_of_another_rep(client, rep, rep_customer, product):
    foreign = CustomerFactory()
    client.force_login(rep)

    response = client.post("/portal/orders/new/", order_post(foreign, [{"sku": "CHAIR-01", "quantity": "1"}]))

    assert "customer" in response.context["form"].errors
    assert nothing_written()


@pytest.mark.django_db
def test_a_dealer_cannot_open_the_new_order_form(client, dealer):
    client.force_login(dealer)

    assert client.get("/portal/orders/new/").status_code == 403


@pytest.mark.django_db
def test_the_new_order_form_needs_login(client):
    assert client.get("/portal/orders/new/").status_code == 302
