"""What placing an order costs in queries, and that the cached pricing tables never serve a stale price."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.receipts import expected_receipt_create
from inventory.tests.factories import ProductFactory, StockLevelFactory
from orders.tests.api.support import dealer
from pricing.models import CustomerPrice, ShippingRate, TierDiscount

URL = "/api/v1/orders/"


def _place(client, products, *, reference: str = "", key: str | None = None):
    body = {"lines": [{"sku": p.sku, "quantity": 2} for p in products], "external_reference": reference}
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    response = client.post(URL, body, format="json", **headers)
    assert response.status_code == 201, response.content
    return response.json()


def _count(client, products, **kwargs) -> int:
    with CaptureQueriesContext(connection) as ctx:
        body = _place(client, products, **kwargs)
    assert len(body["lines"]) == len(products)
    return len(ctx.captured_queries)


# PostgreSQL only: SQLite splits a 100-line bulk insert into batches of 999 parameters. A transactional
# test, so BEGIN and COMMIT are counted as the server sees them (no test transaction around the request),
# the way bench/run.py counts: warm caches, the bench's request (no external reference).
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_placing_an_order_costs_at_most_11_queries_for_1_and_100_lines():
    _customer, _user, client = dealer()
    products = [ProductFactory() for _ in range(100)]
    # Warm: the token's last-use stamp (once a minute) and the pricing reference cache (once a process).
    _place(client, products[:1])

    one = _count(client, products[:1])
    hundred = _count(client, products)
    with_reference = _count(client, products, reference="PO-1")

    assert one == hundred <= 11
    # An external reference is checked for duplicates before anything is priced.
    assert with_reference == one + 1


# Available-to-promise (issue #8) reads what open orders were promised and not reserved yet: one
# aggregate query, only when some product is available or on its way (otherwise every date is the
# lead time anyway, as in the test above); one more for incoming supply only when such a product is
# short now. PostgreSQL only, for the same reason as above.
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_available_to_promise_costs_one_aggregate_query_with_stock_and_one_more_when_short_with_incoming():
    _customer, _user, client = dealer()
    stocked = [StockLevelFactory(on_hand=1000).product for _ in range(100)]
    empty = [ProductFactory() for _ in range(2)]
    _place(client, empty[:1])
    without_stock = _count(client, empty[:1])

    one = _count(client, stocked[:1])
    hundred = _count(client, stocked)
    level = StockLevelFactory(on_hand=1)
    expected_receipt_create(
        product_id=level.product_id,
        warehouse_id=level.warehouse_id,
        quantity=50,
        expected_on=timezone.localdate() + dt.timedelta(days=5),
    )
    short_with_incoming = _count(client, [*stocked, level.product])

    assert one == hundred == without_stock + 1 <= 12
    assert short_with_incoming == one + 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_placing_an_order_with_an_idempotency_key_costs_at_most_12_queries_for_1_and_100_lines():
    """Fails before issue #6 §5: the key cost five statements (claim, lock, savepoint pair, store) → 16."""
    _customer, _user, client = dealer()
    products = [ProductFactory() for _ in range(100)]
    _place(client, products[:1])

    plain = _count(client, products[:1])
    keyed_one = _count(client, products[:1], key="k-1")
    keyed_hundred = _count(client, products, key="k-100")
    keyed_with_reference = _count(client, products, key="k-ref", reference="PO-1")

    assert keyed_one == keyed_hundred <= 12
    # The key's own work is one insert: its response, the last write of the order's transaction.
    assert keyed_one == plain + 1
    # With an external reference: its duplicate check, and the savepoint pair that lets a duplicate be
    # answered inside the request's transaction.
    assert keyed_with_reference == keyed_one + 3


@pytest.mark.django_db
def test_a_tier_discount_change_is_seen_by_the_next_order():
    _customer, _user, client = dealer(tier="gold")
    product = ProductFactory(list_price="100.00")
    discount = TierDiscount.objects.create(tier="gold", percent=Decimal("5.00"))
    assert _place(client, [product], reference="A")["lines"][0]["discount_percent"] == "5.00"

    discount.percent = Decimal("12.50")
    discount.save()
    assert _place(client, [product], reference="B")["lines"][0]["discount_percent"] == "12.50"

    discount.delete()
    assert _place(client, [product], reference="C")["lines"][0]["discount_percent"] == "0.00"


@pytest.mark.django_db
def test_a_shipping_rate_change_is_seen_by_the_next_order():
    _customer, _user, client = dealer()  # its default address is in AddressFactory's region
    product = ProductFactory(list_price="100.00", weight_kg=Decimal("2"))
    rate = ShippingRate.objects.create(region="*", base_fee=Decimal("10.00"), per_kg=Decimal("0"))
    assert _place(client, [product], reference="A")["shipping_fee"] == "10.00"

    rate.base_fee = Decimal("25.00")
    rate.save()
    assert _place(client, [product], reference="B")["shipping_fee"] == "25.00"

    rate.delete()
    assert _place(client, [product], reference="C")["shipping_fee"] == "0.00"


@pytest.mark.django_db
def test_a_price_change_is_seen_by_the_next_order():
    customer, _user, client = dealer()
    product = ProductFactory(list_price="100.00")
    assert _place(client, [product], reference="A")["lines"][0]["unit_price"] == "100.00"

    product.list_price = Decimal("110.00")
    product.save()
    assert _place(client, [product], reference="B")["lines"][0]["unit_price"] == "110.00"

    negotiated = CustomerPrice.objects.create(customer=customer, product=product, price=Decimal("90.00"))
    assert _place(client, [product], reference="C")["lines"][0]["unit_price"] == "90.00"

    negotiated.price = Decimal("95.00")
    negotiated.save()
    assert _place(client, [product], reference="D")["lines"][0]["unit_price"] == "95.00"
