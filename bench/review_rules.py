"""Review rules evaluated for a backlog of open orders in a bounded number of queries (issue #9).

    .venv/bin/python bench/review_rules.py [--orders 10000] [--customers 1000] [--skus 500]
        [--batch 1000] [--opens 200] [--repeat 3]

Seeds its own PostgreSQL database (BENCH_REVIEW_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/oms_rules_bench; emptied first, refused unless its name contains
"bench"): `--customers` customers with credit limits, exposure, overdue invoices and credit holds in
varied proportions, `--skus` products, and `--orders` open orders (submitted, in review, approved,
allocated) of 1–5 lines each — tier discounts, negotiated prices below list, custom builds, requested
dates before the promised ones — all bulk-inserted; and nine review rules that test every field
(the demo's four, the default one, and tier, channel, discount, first order, requested date).

Then:
- evaluates every rule for every order (`orders.review.review_evaluate`), `--repeat` times, and reports
  the wall time, orders per second and the queries: one for the rules and three per batch of `--batch`
  orders, whatever the number of orders in a batch (no query per order or per fact);
- the same for a tenth of the orders, to show the count grows with batches, not orders;
- opens the review of `--opens` submitted orders one by one (`order_review_open`, as a submission
  does) and reports the queries and time per order.

Prints the machine and the figures; writes bench/results/review_rules.md. Only meaningful on an
otherwise idle machine.
"""

import argparse
import datetime as dt
import math
import os
import random
import statistics
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# bench.run sets its own database in the environment at import: import it first, then choose ours.
from bench.run import _ensure_database, _machine  # noqa: E402

os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_REVIEW_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/oms_rules_bench"
)
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
os.environ.setdefault("OMS_VAR_DIR", str(ROOT / "var" / "bench"))

CENT = Decimal("0.01")
TAX = Decimal("0.13")
RULES = [
    # (name, condition, group, level)
    ("Every order", {"all": []}, "Order manager", 1),
    (
        "Order above 1 million",
        {"all": [{"field": "order_total", "op": "gt", "value": 1000000}]},
        "Order manager",
        1,
    ),
    (
        "Order above 5 million",
        {"all": [{"field": "order_total", "op": "gt", "value": 5000000}]},
        "Sales director",
        2,
    ),
    (
        "Custom build",
        {"all": [{"field": "has_custom_build_line", "op": "is_true"}]},
        "Production scheduler",
        1,
    ),
    (
        "Credit risk",
        {
            "any": [
                {"field": "customer_over_credit_limit", "op": "is_true"},
                {"field": "customer_overdue_days", "op": "gt", "value": 30},
                {"field": "customer_on_credit_hold", "op": "is_true"},
            ]
        },
        "Finance",
        1,
    ),
    (
        "Deep discount",
        {"all": [{"field": "max_discount_percent", "op": "gt", "value": 15}]},
        "Sales director",
        1,
    ),
    (
        "New customer, large first order",
        {
            "all": [
                {"field": "first_order", "op": "is_true"},
                {"field": "order_total", "op": "gte", "value": 200000},
            ]
        },
        "Finance",
        1,
    ),
    (
        "Rush for a standard dealer",
        {
            "all": [
                {"field": "requested_before_atp", "op": "is_true"},
                {"field": "customer_tier", "op": "in", "value": ["standard", "silver"]},
            ]
        },
        "Production scheduler",
        1,
    ),
    (
        "Online or import channel",
        {"all": [{"field": "channel", "op": "in", "value": ["online", "import"]}]},
        "Order manager",
        1,
    ),
]


def _reset() -> None:
    """Empty every table of the bench database (its own; refused for any other)."""
    from django.core.management import call_command  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415

    name = connection.settings_dict["NAME"]
    if "bench" not in name:
        raise SystemExit(f"refusing to empty database {name!r}: its name must contain 'bench'")
    call_command("flush", interactive=False, verbosity=0)


def seed(*, orders: int, customers: int, skus: int, seed: int) -> dict:
    from django.contrib.auth.models import Group  # noqa: PLC0415
    from django.db import transaction  # noqa: PLC0415
    from django.utils import timezone  # noqa: PLC0415

    from crm.models import Customer  # noqa: PLC0415
    from inventory.models import Category, Product  # noqa: PLC0415
    from orders.models import Channel, Order, OrderLine, ReviewRule  # noqa: PLC0415
    from orders.services import review_rule_save  # noqa: PLC0415
    from orders.states import OrderStatus as S  # noqa: PLC0415, N817

    rng = random.Random(seed)
    today = timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        for name, condition, group, level in RULES:
            review_rule_save(
                rule=ReviewRule(
                    name=name, condition=condition, role=Group.objects.get(name=group), level=level
                )
            )
        cat = Category.objects.create(code="bench-review", name="Review bench")
        products = Product.objects.bulk_create(
            [
                Product(
                    sku=f"RB-{i:05d}",
                    name=f"Review bench product {i}",
                    category=cat,
                    unit_cost=Decimal("100.00") + i,
                    list_price=(Decimal("150.00") + i * 37) if i % 50 else Decimal("380000.00"),
                    weight_kg=Decimal("1.5"),
                    lead_time_days=10,
                )
                for i in range(skus)
            ],
            batch_size=2000,
        )
        custs = []
        for i in range(customers):
            limit = Decimal(rng.choice([0, 200_000, 1_000_000, 5_000_000, 20_000_000]))
            overdue = rng.random() < 0.15
            custs.append(
                Customer(
                    code=f"RC{i:05d}",
                    name=f"Review bench dealer {i}",
                    tier=rng.choice(["standard", "standard", "silver", "gold", "platinum"]),
                    credit_limit=limit,
                    credit_exposure=(limit * Decimal(str(round(rng.uniform(0.2, 1.1), 2)))).quantize(CENT),
                    overdue_balance=Decimal("50000.00") if overdue else Decimal("0.00"),
                    overdue_since=today - dt.timedelta(days=rng.randint(1, 90)) if overdue else None,
                    credit_hold=rng.random() < 0.03,
                )
            )
        custs = Customer.objects.bulk_create(custs, batch_size=2000)
        statuses = [S.SUBMITTED, S.IN_REVIEW, S.APPROVED, S.ALLOCATED]
        rows, line_specs = [], []
        for n in range(orders):
            customer = rng.choice(custs)
            lines = []
            for pos, product in enumerate(rng.sample(products, rng.randint(1, 5)), start=1):
                qty = rng.randint(1, 20)
                negotiated = rng.random() < 0.1
                unit = (
                    (product.list_price * Decimal("0.8")).quantize(CENT) if negotiated else product.list_price
                )
                discount = Decimal("0") if negotiated else Decimal(rng.choice([0, 0, 3, 5, 8, 12, 18]))
                gross = (unit * qty).quantize(CENT)
                discount_amount = (gross * discount / 100).quantize(CENT)
                net = gross - discount_amount
                tax = (net * TAX).quantize(CENT)
                lines.append(
                    (pos, product, qty, unit, discount, discount_amount, net, tax, rng.random() < 0.05)
                )
            subtotal = sum(x[6] for x in lines)
            tax_total = sum(x[7] for x in lines)
            promised = today + dt.timedelta(days=rng.randint(3, 40))
            requested = promised + dt.timedelta(days=rng.randint(-10, 10)) if rng.random() < 0.6 else None
            status = rng.choice(statuses)
            rows.append(
                Order(
                    number=f"SO-RB-{n:06d}",
                    customer=customer,
                    channel=rng.choice(Channel.values),
                    status=status,
                    subtotal=subtotal,
                    discount_total=sum(x[5] for x in lines),
                    tax_total=tax_total,
                    total=subtotal + tax_total,
                    requested_delivery_date=requested,
                    promised_delivery_date=promised,
                    submitted_at=now,
                )
            )
            line_specs.append(lines)
        rows = Order.objects.bulk_create(rows, batch_size=2000)
        OrderLine.objects.bulk_create(
            [
                OrderLine(
                    order=order,
                    position=pos,
                    product=product,
                    sku=product.sku,
                    description=product.name,
                    quantity=qty,
                    unit_price=unit,
                    discount_percent=discount,
                    discount_amount=discount_amount,
                    net_amount=net,
                    tax_rate=TAX,
                    tax_amount=tax,
                    line_total=net + tax,
                    is_custom_build=custom,
                )
                for order, lines in zip(rows, line_specs, strict=True)
                for pos, product, qty, unit, discount, discount_amount, net, tax, custom in lines
            ],
            batch_size=5000,
        )
    return {
        "orders": len(rows),
        "lines": sum(len(lines) for lines in line_specs),
        "customers": len(custs),
        "products": len(products),
        "rules": len(RULES),
        "by_status": dict(Counter(order.status for order in rows)),
    }


def _evaluate(ids: list[int], repeat: int) -> dict:
    from django.db import connection  # noqa: PLC0415
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415

    from orders.review import BATCH, review_evaluate  # noqa: PLC0415

    times, queries, matched = [], 0, {}
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            matched = review_evaluate(order_ids=ids)
            times.append(time.perf_counter() - t0)
        queries = len(ctx.captured_queries)
    best = min(times)
    per_rule = Counter(rule.name for rules in matched.values() for rule in rules)
    return {
        "orders": len(ids),
        "batch": BATCH,
        "batches": math.ceil(len(ids) / BATCH),
        "seconds_best": round(best, 3),
        "seconds_median": round(statistics.median(times), 3),
        "orders_per_second": round(len(ids) / best),
        "queries": queries,
        "auto_approved": sum(1 for rules in matched.values() if not rules),
        "matches_per_rule": dict(per_rule.most_common()),
    }


def _opens(count: int) -> dict:
    from django.db import connection  # noqa: PLC0415
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415

    from orders.models import Order  # noqa: PLC0415
    from orders.services import order_review_open  # noqa: PLC0415
    from orders.states import OrderStatus  # noqa: PLC0415

    ids = list(
        Order.objects.filter(status=OrderStatus.SUBMITTED).order_by("pk").values_list("pk", flat=True)[:count]
    )
    times, queries = [], []
    for pk in ids:
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            order_review_open(order_id=pk)
            times.append(time.perf_counter() - t0)
        queries.append(len(ctx.captured_queries))
    return {
        "orders": len(ids),
        "ms_p50": round(statistics.median(times) * 1000, 1),
        "ms_p95": round(sorted(times)[int(len(times) * 0.95) - 1] * 1000, 1) if times else 0,
        "queries_min": min(queries, default=0),
        "queries_max": max(queries, default=0),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--customers", type=int, default=1_000)
    parser.add_argument("--skus", type=int, default=500)
    parser.add_argument("--batch", type=int, default=1_000, help="orders per batch of fact queries")
    parser.add_argument(
        "--opens", type=int, default=200, help="submitted orders whose review is opened one by one"
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "review_rules.md"))
    args = parser.parse_args()

    _ensure_database(os.environ["DATABASE_URL"])
    import django  # noqa: PLC0415

    django.setup()
    from django.core.management import call_command  # noqa: PLC0415

    import orders.review  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    machine = _machine()
    machine["load"] = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    print(f"Machine: {machine}", flush=True)
    _reset()
    t0 = time.perf_counter()
    data = seed(orders=args.orders, customers=args.customers, skus=args.skus, seed=args.seed)
    data["seed_seconds"] = round(time.perf_counter() - t0, 1)
    print(f"Data: {data}", flush=True)

    from orders.models import Order  # noqa: PLC0415

    orders.review.BATCH = args.batch
    ids = list(Order.objects.order_by("pk").values_list("pk", flat=True))
    full = _evaluate(ids, args.repeat)
    print(f"All orders: {full}", flush=True)
    tenth = _evaluate(ids[: max(1, len(ids) // 10)], args.repeat)
    print(f"A tenth: {tenth}", flush=True)
    opens = _opens(args.opens)
    print(f"Review opened one order at a time: {opens}", flush=True)

    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(
        "# Review rules: evaluation of a backlog of open orders (bench/review_rules.py)\n\n"
        f"- Machine: {machine}\n"
        f"- Data: {data}\n\n"
        "| orders | batches of | batches | best s | median s | orders/s | queries | auto-approved |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        + "".join(
            f"| {r['orders']:,} | {r['batch']:,} | {r['batches']} | {r['seconds_best']} "
            f"| {r['seconds_median']} | {r['orders_per_second']:,} | {r['queries']} "
            f"| {r['auto_approved']:,} |\n"
            for r in (tenth, full)
        )
        + f"\nMatches per rule (all orders): {full['matches_per_rule']}\n\n"
        f"Opening the review of one submitted order (order_review_open, as a submission does): "
        f"{opens}\n"
    )
    print(f"Wrote {args.output}")


if __name__ == "__main__":
    main()
