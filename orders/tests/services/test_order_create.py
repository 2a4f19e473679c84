from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.errors import ValidationFailed
from crm.tests.factories import AddressFactory, CustomerFactory
from inventory.tests.factories import ProductFactory
from orders.errors import DuplicateExternalReference
from orders.models import Channel, Order, OrderEvent, OrderLine
from orders.services import intake, order_create
from orders.states import OrderStatus
from orders.tests.factories import make_order
from pricing.models import TierDiscount
from pricing.selectors import pricing_reference
from pricing.services import LineRequest


@pytest.mark.django_db
def test_created_order_is_submitted_numbered_and_has_a_timeline():
    order = make_order()
    assert order.status == OrderStatus.SUBMITTED
    assert order.number.startswith("SO-")
    assert order.number.endswith("000001")
    kinds = list(order.events.order_by("id").values_list("kind", flat=True))
    assert kinds == ["order.created", "order.submitted"]


@pytest.mark.django_db
def test_numbers_increase_without_gaps():
    numbers = [make_order().number for _ in range(3)]
    assert [n[-6:] for n in numbers] == ["000001", "000002", "000003"]


@pytest.mark.django_db
def test_unknown_sku_is_refused_and_nothing_is_written():
    customer = CustomerFactory()
    AddressFactory(customer=customer)
    product = ProductFactory()
    with pytest.raises(ValidationFailed) as err:
        order_create(
            customer=customer,
            channel=Channel.ADMIN,
            lines=[LineRequest(sku=product.sku, quantity=1), LineRequest(sku="NOPE", quantity=1)],
        )
    assert "lines[1].sku" in err.value.fields
    assert Order.objects.count() == 0
    assert OrderLine.objects.count() == 0
    assert OrderEvent.objects.count() == 0


@pytest.mark.django_db
def test_zero_quantity_is_refused_with_its_field_path():
    customer = CustomerFactory()
    AddressFactory(customer=customer)
    with pytest.raises(ValidationFailed) as err:
        order_create(
            customer=customer,
            channel=Channel.ADMIN,
            lines=[LineRequest(sku=ProductFactory().sku, quantity=0)],
        )
    assert list(err.value.fields) == ["lines[0].quantity"]
    assert Order.objects.count() == 0


@pytest.mark.django_db
def test_repeated_external_reference_names_the_existing_order():
    customer = CustomerFactory()
    first = make_order(customer=customer, external_reference="PO-1")
    with pytest.raises(DuplicateExternalReference) as err:
        make_order(customer=customer, external_reference="PO-1")
    assert err.value.extra["order"] == first.number
    assert Order.objects.count() == 1


# Transactional: order_create runs as the outermost transaction, as it does in production. Inside a
# caller's transaction (the test's own, here) it takes no savepoint unless given an external reference,
# so its failure is the caller's to roll back.
@pytest.mark.django_db(transaction=True)
def test_a_crash_half_way_leaves_no_half_written_order(monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    # The timeline is the last insert: order and lines are already written when it fails.
    monkeypatch.setattr(intake, "_insert_events", boom)
    with pytest.raises(RuntimeError):
        make_order()
    assert Order.objects.count() == 0
    assert OrderLine.objects.count() == 0


@pytest.mark.postgres  # SQLite's bound-parameter limit splits a 100-line bulk insert in two
@pytest.mark.django_db
def test_query_count_does_not_grow_with_lines():
    customer = CustomerFactory()
    AddressFactory(customer=customer)
    few = [ProductFactory() for _ in range(1)]
    many = [ProductFactory() for _ in range(100)]

    def count(products):
        lines = [LineRequest(sku=p.sku, quantity=2) for p in products]
        with CaptureQueriesContext(connection) as ctx:
            order_create(customer=customer, channel=Channel.ADMIN, lines=lines)
        return len(ctx.captured_queries)

    pricing_reference()  # the first order of a process fills the pricing reference cache; not counted

    one, hundred = count(few), count(many)
    assert hundred == one
    assert hundred <= 20


@pytest.mark.django_db
def test_totals_are_sums_of_lines_for_awkward_quantities_and_prices():
    customer = CustomerFactory(tier="gold")

    TierDiscount.objects.create(tier="gold", percent=Decimal("7.50"))
    prices = [Decimal("0.01"), Decimal("33.33"), Decimal("19.99"), Decimal("1234.57"), Decimal("0.05")]
    quantities = [3, 7, 13, 1, 999]
    products = [ProductFactory(list_price=p) for p in prices]
    order = make_order(customer=customer, products=products, quantities=quantities)
    lines = list(order.lines.all())
    assert order.subtotal == sum(line.net_amount for line in lines)
    assert order.tax_total == sum(line.tax_amount for line in lines)
    assert order.discount_total == sum(line.discount_amount for line in lines)
    assert order.total == order.subtotal + order.tax_total + order.shipping_fee
    for line in lines:
        assert line.net_amount == line.unit_price * line.quantity - line.discount_amount
        assert line.line_total == line.net_amount + line.tax_amount
        assert line.tax_amount.as_tuple().exponent == -2
