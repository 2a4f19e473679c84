"""Every amount, rate and percentage with a natural range is checked by the model and by the database.

Issue #7 item 5: a shipping rate with base fee −99,999 was saved, quotes showed negative totals and an
order was stored with a −123,999 fee. Each row below failed on main (no check constraint, or no
validator for the admin to show) and is refused now: by `full_clean()` on that field, and by the
database even when the model is bypassed (a queryset update), leaving the row as it was.
"""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict

from crm.tests.factories import AddressFactory, CustomerFactory
from finance.tests.factories import InvoiceFactory, PaymentFactory
from inventory.tests.factories import ProductFactory, StockLevelFactory, WarehouseFactory
from orders.tests.factories import make_order
from pricing.tests.factories import CustomerPriceFactory, ShippingRateFactory, TierDiscountFactory
from production.tests.factories import WorkOrderFactory


def _line():
    return make_order().lines.get()


CASES = [
    # (builder, field, value out of range)
    (ShippingRateFactory, "base_fee", Decimal("-99999.00")),
    (ShippingRateFactory, "per_kg", Decimal("-0.01")),
    (ShippingRateFactory, "free_above", Decimal("-1.00")),
    (ShippingRateFactory, "transit_days", 366),
    (TierDiscountFactory, "percent", Decimal("100.01")),
    (TierDiscountFactory, "percent", Decimal("-5.00")),
    (CustomerPriceFactory, "price", Decimal("-1.00")),
    (make_order, "shipping_fee", Decimal("-123999.00")),
    (make_order, "subtotal", Decimal("-1.00")),
    (make_order, "discount_total", Decimal("-1.00")),
    (make_order, "tax_total", Decimal("-1.00")),
    (make_order, "priority", 101),
    (_line, "unit_price", Decimal("-1.00")),
    (_line, "discount_percent", Decimal("100.50")),
    (_line, "discount_amount", Decimal("-1.00")),
    (_line, "net_amount", Decimal("-1.00")),
    (_line, "tax_rate", Decimal("1.3000")),
    (_line, "tax_amount", Decimal("-1.00")),
    (_line, "line_total", Decimal("-1.00")),
    (InvoiceFactory, "subtotal", Decimal("-1.00")),
    (InvoiceFactory, "discount_total", Decimal("-1.00")),
    (InvoiceFactory, "tax_total", Decimal("-1.00")),
    (InvoiceFactory, "shipping_fee", Decimal("-1.00")),
    (ProductFactory, "weight_kg", Decimal("-0.001")),
    (ProductFactory, "volume_m3", Decimal("-0.0001")),
    (ProductFactory, "pack_size", 0),
    (ProductFactory, "lead_time_days", 366),
    (WarehouseFactory, "latitude", Decimal("90.5")),
    (WarehouseFactory, "longitude", Decimal("-180.5")),
    (StockLevelFactory, "reorder_point", -1),
    (CustomerFactory, "credit_exposure", Decimal("-0.01")),
    (CustomerFactory, "payment_terms_days", 366),
    (AddressFactory, "latitude", Decimal("-91")),
    (AddressFactory, "longitude", Decimal("181")),
    (WorkOrderFactory, "progress_percent", 101),
]


def _case_id(case) -> str:
    builder, field, value = case
    return f"{getattr(builder, '__name__', builder)}.{field}={value}"


@pytest.mark.django_db
@pytest.mark.parametrize(("builder", "field", "value"), CASES, ids=[_case_id(c) for c in CASES])
def test_an_out_of_range_value_is_refused_by_the_model_and_by_the_database(builder, field, value):
    obj = builder()
    before = model_to_dict(obj)

    setattr(obj, field, value)
    with pytest.raises(ValidationError) as err:
        obj.full_clean()
    assert field in err.value.message_dict

    with pytest.raises(IntegrityError), transaction.atomic():
        type(obj).objects.filter(pk=obj.pk).update(**{field: value})
    obj.refresh_from_db()
    assert model_to_dict(obj) == before


@pytest.mark.django_db
def test_a_payment_of_zero_is_a_field_error_of_the_model():
    payment = PaymentFactory.build(amount=Decimal("0.00"))
    with pytest.raises(ValidationError) as err:
        payment.full_clean(exclude=["invoice"])
    assert "amount" in err.value.message_dict
