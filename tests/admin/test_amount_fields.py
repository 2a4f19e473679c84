"""Out-of-range and oversized amounts typed in the admin are field errors: 200, the message on that
field, nothing saved (issue #7 items 5 and 7).

On main a shipping rate with base fee −99,999 was saved (and quotes then went negative), and an
add-order row with a quantity of thousands of digits crashed with a 500 (`int()` on unbounded text).
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone

from crm.models import Customer
from crm.tests.factories import AddressFactory, CustomerFactory
from finance.models import Invoice, Payment
from finance.tests.factories import InvoiceFactory
from inventory.tests.factories import ProductFactory, StockLevelFactory, WarehouseFactory
from orders.models import Order
from pricing.models import ShippingRate
from pricing.tests.factories import CustomerPriceFactory, ShippingRateFactory, TierDiscountFactory

HUGE = "9" * 5000


def _form_data(response) -> dict:
    """What the change page would post back unchanged: its form's values, empty inline formsets."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        if value is True:
            value = "on"
        elif isinstance(value, list | tuple):
            value = [str(v) for v in value]
        elif isinstance(value, dt.date | Decimal | int):
            value = str(value)
        data[name] = value
    for inline in response.context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    return data


CHANGES = [
    # (builder, field, value typed)
    (ShippingRateFactory, "base_fee", "-99999"),
    (ShippingRateFactory, "per_kg", "-1"),
    (ShippingRateFactory, "free_above", "-1"),
    (ShippingRateFactory, "transit_days", "400"),
    (ShippingRateFactory, "transit_days", HUGE),
    (ShippingRateFactory, "base_fee", "1e400"),
    (TierDiscountFactory, "percent", "150"),
    (CustomerPriceFactory, "price", "-5"),
    (CustomerPriceFactory, "price", HUGE),
    (ProductFactory, "weight_kg", "-2"),
    (ProductFactory, "volume_m3", "-2"),
    (ProductFactory, "lead_time_days", "9999"),
    (ProductFactory, "list_price", "99999999999999999999"),
    (ProductFactory, "pack_size", "0"),
    (WarehouseFactory, "latitude", "123"),
    (WarehouseFactory, "longitude", "-200"),
    (StockLevelFactory, "reorder_point", "-3"),
    # on_hand is no longer a form field: balances move through the stock services.
    (CustomerFactory, "payment_terms_days", "1000"),
    (CustomerFactory, "credit_limit", "-1"),
    (CustomerFactory, "credit_limit", "1" + "0" * 20),
    (AddressFactory, "latitude", "-95"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("builder", "field", "value"),
    CHANGES,
    ids=[f"{b.__name__}.{f}={v if len(v) < 30 else f'{len(v)}-digits'}" for b, f, v in CHANGES],
)
def test_an_out_of_range_value_is_an_error_on_its_field_and_nothing_is_saved(
    admin_client, builder, field, value
):
    obj = builder()
    before = model_to_dict(obj)
    opts = type(obj)._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    data = _form_data(admin_client.get(url))

    response = admin_client.post(url, {**data, field: value})

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    obj.refresh_from_db()
    assert model_to_dict(obj) == before


@pytest.mark.django_db
def test_the_form_data_helper_posts_a_valid_form(admin_client):
    """The helper above is sound: posting it back unchanged saves (so the errors are the bad field's)."""
    customer = CustomerFactory()
    url = reverse("admin:crm_customer_change", args=[customer.pk])

    response = admin_client.post(url, {**_form_data(admin_client.get(url)), "payment_terms_days": "60"})

    assert response.status_code == 302
    assert Customer.objects.get(pk=customer.pk).payment_terms_days == 60


@pytest.mark.django_db
def test_a_shipping_rate_with_a_negative_base_fee_is_not_added(admin_client):
    response = admin_client.post(
        reverse("admin:pricing_shippingrate_add"),
        {"region": "*", "base_fee": "-99999", "per_kg": "0", "free_above": "", "transit_days": "3"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["base_fee"] == [
        "Ensure this value is greater than or equal to 0."
    ]
    assert not ShippingRate.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "amount",
    ["-5", "0", "0.00", HUGE, "1e30", "NaN"],
    ids=["negative", "0", "0.00", "5000-digits", "1e30", "NaN"],
)
def test_a_payment_amount_out_of_range_is_an_error_on_the_amount(admin_client, amount):
    invoice = InvoiceFactory()
    Invoice.objects.filter(pk=invoice.pk).update(status="issued")

    response = admin_client.post(
        reverse("admin:finance_payment_add"),
        {
            "invoice": invoice.pk,
            "amount": amount,
            "received_on": timezone.localdate().isoformat(),
            "reference": "",
        },
    )

    assert response.status_code == 200
    assert "amount" in response.context["adminform"].form.errors
    assert not Payment.objects.exists()
    assert Invoice.objects.get(pk=invoice.pk).amount_paid == 0


def _order_data(customer, lines: str) -> dict:
    return {"customer": customer.pk, "channel": "phone_email", "lines": lines, "submit": "on"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "quantity",
    [HUGE, "1" + "0" * 30, "0" * 4000 + "1" + "0" * 4000],
    ids=["5000-digits", "10^30", "zero-padded-10^4000"],
)
def test_an_add_order_row_with_a_quantity_of_thousands_of_digits_is_a_row_error(admin_client, quantity):
    """Failed on main with a 500: int() refuses strings over 4300 digits."""
    customer = CustomerFactory()
    product = ProductFactory()

    response = admin_client.post(
        reverse("admin:orders_order_add"), _order_data(customer, f"{product.sku} 1\n{product.sku} {quantity}")
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["lines"] == [
        "Row 2: the quantity must be between 1 and 100000."
    ]
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_an_add_order_quantity_with_leading_zeros_is_still_read(admin_client):
    customer = CustomerFactory()
    AddressFactory(customer=customer)
    product = ProductFactory()

    response = admin_client.post(
        reverse("admin:orders_order_add"), _order_data(customer, f"{product.sku} 0000002")
    )

    assert response.status_code == 302
    assert Order.objects.get().lines.get().quantity == 2


@pytest.mark.django_db
def test_an_add_order_quantity_above_the_maximum_is_the_services_row_error(admin_client):
    customer = CustomerFactory()
    AddressFactory(customer=customer)
    product = ProductFactory()

    response = admin_client.post(
        reverse("admin:orders_order_add"), _order_data(customer, f"{product.sku} 999999")
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["lines"] == [
        "Row 1: Quantity must be between 1 and 100000."
    ]
    assert not Order.objects.exists()
