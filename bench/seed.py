"""Seed realistic history for the benchmark: catalog, stock, dealers with tokens, ≥100,000 orders.

History is bulk-inserted (the point is data volume for the query planner, not the write path; the
write path is what the benchmark measures). Idempotent: an already seeded database is reused.
"""

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from crm.models import Address, Customer
from inventory.models import Category, Product, StockLevel, Warehouse
from orders.models import Order, OrderEvent, OrderLine
from orders.services.commitments import committed_demand_rebuild
from orders.states import OrderStatus
from restapi.models import ApiToken

DEALERS = 50
PRODUCTS = 200
BATCH = 5000
CENT = Decimal("0.01")
TAX = Decimal("0.13")


def _catalog():
    cat, _ = Category.objects.get_or_create(code="bench", defaults={"name": "Bench"})
    existing = set(Product.objects.filter(sku__startswith="BN-").values_list("sku", flat=True))
    Product.objects.bulk_create(
        [
            Product(
                sku=f"BN-{i:04d}",
                name=f"Bench product {i}",
                series=f"S{i % 7}",
                category=cat,
                unit_cost=Decimal("40.00") + i,
                list_price=Decimal("99.90") + i,
                weight_kg=Decimal("1.5"),
                lead_time_days=10,
            )
            for i in range(PRODUCTS)
            if f"BN-{i:04d}" not in existing
        ]
    )
    whs = []
    for code, region in (("BWH-SH", "Shanghai"), ("BWH-GZ", "Guangdong"), ("BWH-BJ", "Beijing")):
        wh, _ = Warehouse.objects.get_or_create(code=code, defaults={"name": code, "region": region})
        whs.append(wh)
    products = list(Product.objects.filter(sku__startswith="BN-"))
    StockLevel.objects.bulk_create(
        [StockLevel(product=p, warehouse=w, on_hand=1_000_000) for p in products for w in whs],
        ignore_conflicts=True,
    )
    return products


def _dealers():
    User = get_user_model()
    tokens = {}
    for i in range(DEALERS):
        customer, _ = Customer.objects.get_or_create(
            code=f"BD{i:03d}", defaults={"name": f"Bench dealer {i}"}
        )
        if not customer.addresses.exists():
            Address.objects.create(
                customer=customer,
                recipient="Bench",
                region="Guangdong",
                city="Guangzhou",
                line1="1 Bench Road",
                is_default_shipping=True,
            )
        user, _ = User.objects.get_or_create(username=f"bench-dealer-{i}")
        customer.users.add(user)
        key = f"oms_bench_key_{i:03d}_" + "x" * 20
        ApiToken.objects.get_or_create(
            digest=ApiToken.hash_key(key), defaults={"user": user, "prefix": key[:12], "name": "bench"}
        )
        tokens[customer.pk] = key
    return tokens


def _history(target: int, products: list[Product]) -> int:
    have = Order.objects.count()
    if have >= target:
        return have
    rng = random.Random(42)
    customers = list(Customer.objects.filter(code__startswith="BD").values_list("pk", flat=True))
    statuses = [s for s in OrderStatus.values if s != OrderStatus.DRAFT]
    now = timezone.now()
    n = have
    while n < target:
        size = min(BATCH, target - n)
        orders, line_specs = [], []
        for _ in range(size):
            n += 1
            created = now - dt.timedelta(minutes=rng.randint(60, 365 * 24 * 60))
            picks = rng.sample(products, 3)
            lines = []
            for pos, p in enumerate(picks, start=1):
                qty = rng.randint(1, 20)
                net = (p.list_price * qty).quantize(CENT)
                tax = (net * TAX).quantize(CENT)
                lines.append((pos, p, qty, net, tax))
            subtotal = sum(x[3] for x in lines)
            tax_total = sum(x[4] for x in lines)
            orders.append(
                Order(
                    number=f"SO-HIST-{n:07d}",
                    customer_id=rng.choice(customers),
                    channel="dealer_api",
                    status=rng.choice(statuses),
                    subtotal=subtotal,
                    tax_total=tax_total,
                    total=subtotal + tax_total,
                    created_at=created,
                    requested_delivery_date=(created + dt.timedelta(days=14)).date(),
                )
            )
            line_specs.append(lines)
        with transaction.atomic():
            Order.objects.bulk_create(orders, batch_size=1000)
            OrderLine.objects.bulk_create(
                [
                    OrderLine(
                        order=o,
                        position=pos,
                        product=p,
                        sku=p.sku,
                        description=p.name,
                        quantity=qty,
                        unit_price=p.list_price,
                        net_amount=net,
                        tax_rate=TAX,
                        tax_amount=tax,
                        line_total=net + tax,
                    )
                    for o, lines in zip(orders, line_specs, strict=True)
                    for pos, p, qty, net, tax in lines
                ],
                batch_size=5000,
            )
            OrderEvent.objects.bulk_create(
                [
                    OrderEvent(
                        order=o,
                        kind="order.submitted",
                        from_status="draft",
                        to_status="submitted",
                        created_at=o.created_at,
                    )
                    for o in orders
                ],
                batch_size=5000,
            )
    # Lines written around intake: what the open ones promise is counted once, as intake would have.
    committed_demand_rebuild()
    return n


def seed(*, orders: int = 100_000) -> dict:
    products = _catalog()
    tokens = _dealers()
    total = _history(orders, products)
    with connection.cursor() as cur:
        # What autovacuum does between runs where it is on (production); PostgreSQL on some hosts, CI's
        # here included, runs with it off, and the rows earlier runs deleted (folded ledger rows, purged
        # events) would otherwise stay for every later run to step over.
        cur.execute("VACUUM (ANALYZE)")
    return {"products": [p.sku for p in products], "tokens": tokens, "orders": total}
