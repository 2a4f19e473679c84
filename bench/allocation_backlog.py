"""Allocation of a backlog of approved orders by real Celery workers, and ATP latency (issue #8).

    .venv/bin/python bench/allocation_backlog.py [--orders 10000] [--skus 2000] [--warehouses 5]
        [--hot 20] [--workers 2] [--scenarios A B] [--modes workers in-process]
        [--baseline-orders N] [--atp-runs 200]

Two scenarios, each seeded afresh into its own PostgreSQL database (BENCH_ALLOC_DATABASE_URL,
default postgres://postgres@127.0.0.1:5432/oms_bench_allocation — the bench empties it between runs
and refuses a database whose name lacks "bench"):

- A: `--orders` approved, unallocated orders of 3 lines over `--skus` products, customers' addresses
  with coordinates in cities across China, `--warehouses` warehouses with coordinates; opening stock
  about 1.3× demand for 90 % of the products and 0.5× for the rest, spread over 2–4 warehouses;
- B: the same backlog with every line on `--hot` hot products, stock 0.3× demand (many backorders;
  the workers queue on the same stock rows).

Orders, lines and customers are bulk-inserted (a bench seed); opening stock goes in as StockLevel
rows plus matching ledger receipts (kind receipt, reason "opening balance"), so stock_drift() is []
before the run. Each scenario runs twice on a fresh seed: by `--workers` Celery worker processes
(`celery -A config worker -c 1` each, Redis broker BENCH_BROKER_URL, default
redis://127.0.0.1:6379/8), with one `order_allocate_task.delay(order_id=…)` per order in approval
order as the `order.approved` listener sends it — timed from the first enqueue until no order has
an empty allocation_status (the last order's updated_at) — and in this process calling
the allocation task's service `orders_allocate_backlog(order_id=…)` in a loop (the single-worker
baseline: once per order, as the messages come; every call timed with its queries, every 5th
profiled). With batches, `--baseline-orders N` makes N calls, which may allocate more than N orders.
After each run: stock_drift() == [], reserved ≤ on hand, reserved in the
ledger = LineAllocation = the lines' quantity_allocated, and the orders by allocation status.

ATP latency on scenario A's data: `pricing.services.price_lines(with_stock_available=True)` and
`orders.services.order_quote` for 1 product and a 50-line quote, p50/p95 over `--atp-runs`.

Prints the machine, the sizes and the figures; writes bench/results/allocation_backlog.md. Only
meaningful on an otherwise idle machine.
"""

import argparse
import cProfile
import datetime as dt
import io
import math
import os
import pstats
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# bench.run sets its own database in the environment at import: import it first, then choose ours.
from bench.run import _ensure_database, _ensure_redis, _machine  # noqa: E402

os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_ALLOC_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/oms_bench_allocation"
)
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
os.environ.setdefault("OMS_VAR_DIR", str(ROOT / "var" / "bench"))
BROKER_URL = os.environ.setdefault("BENCH_BROKER_URL", "redis://127.0.0.1:6379/8")

CENT = Decimal("0.01")
TAX = Decimal("0.13")
# (name, latitude, longitude): warehouses take the first ones, customers are spread over all.
CITIES = [
    ("Shanghai", 31.2304, 121.4737),
    ("Guangzhou", 23.1291, 113.2644),
    ("Beijing", 39.9042, 116.4074),
    ("Chengdu", 30.5728, 104.0668),
    ("Wuhan", 30.5928, 114.3055),
    ("Xi'an", 34.3416, 108.9398),
    ("Shenyang", 41.8057, 123.4315),
    ("Kunming", 25.0389, 102.7183),
    ("Hangzhou", 30.2741, 120.1551),
    ("Nanjing", 32.0603, 118.7969),
    ("Harbin", 45.8038, 126.5349),
    ("Urumqi", 43.8256, 87.6168),
    ("Xiamen", 24.4798, 118.0894),
    ("Changsha", 28.2282, 112.9388),
    ("Zhengzhou", 34.7466, 113.6254),
    ("Qingdao", 36.0671, 120.3826),
]
BENCH_DOCUMENT = "bench.opening"


# --- seed -------------------------------------------------------------------------------------------


def _reset() -> None:
    """Empty every table of the bench database (its own; refused for any other)."""
    from django.core.management import call_command  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415

    name = connection.settings_dict["NAME"]
    if "bench" not in name:
        raise SystemExit(f"refusing to empty database {name!r}: its name must contain 'bench'")
    call_command("flush", interactive=False, verbosity=0)


def seed(
    *, scenario: str, orders: int, skus: int, warehouses: int, hot: int, customers: int, seed: int
) -> dict:
    """Catalog, warehouses, customers with addresses, the approved backlog and opening stock (ledger)."""
    from django.db import connection, transaction  # noqa: PLC0415
    from django.utils import timezone  # noqa: PLC0415

    from crm.models import Address, Customer  # noqa: PLC0415
    from inventory.models import Category, MovementKind, Product, StockLevel, StockMovement, Warehouse  # noqa: PLC0415
    from inventory.services import OPENING_BALANCE_REASON  # noqa: PLC0415
    from orders.models import Channel, Order, OrderLine  # noqa: PLC0415
    from orders.states import OrderStatus  # noqa: PLC0415

    rng = random.Random(f"{seed}-{scenario}")
    now = timezone.now()
    with transaction.atomic():
        cat = Category.objects.create(code="bench-alloc", name="Allocation bench")
        products = Product.objects.bulk_create(
            [
                Product(
                    sku=f"AB-{i:05d}",
                    name=f"Allocation bench product {i}",
                    category=cat,
                    unit_cost=Decimal("20.00") + i % 100,
                    list_price=Decimal("49.90") + i % 100,
                    weight_kg=Decimal("1.2"),
                    lead_time_days=10,
                )
                for i in range(skus)
            ],
            batch_size=2000,
        )
        whs = Warehouse.objects.bulk_create(
            [
                Warehouse(
                    code=f"AW-{i:02d}",
                    name=f"Bench {city}",
                    region=city,
                    city=city,
                    latitude=Decimal(str(lat)),
                    longitude=Decimal(str(lon)),
                )
                for i, (city, lat, lon) in enumerate(CITIES[:warehouses])
            ]
        )
        custs = Customer.objects.bulk_create(
            [Customer(code=f"AC{i:04d}", name=f"Allocation bench dealer {i}") for i in range(customers)]
        )
        addresses = []
        for c in custs:
            city, lat, lon = rng.choice(CITIES)
            addresses.append(
                Address(
                    customer=c,
                    recipient="Bench",
                    region=city,
                    city=city,
                    line1=f"{rng.randint(1, 999)} Bench Road",
                    latitude=Decimal(str(round(lat + rng.uniform(-0.5, 0.5), 6))),
                    longitude=Decimal(str(round(lon + rng.uniform(-0.5, 0.5), 6))),
                    is_default_shipping=True,
                )
            )
        addresses = Address.objects.bulk_create(addresses)
        address_of = {a.customer_id: a.snapshot() for a in addresses}

        pool = products[:hot] if scenario == "B" else products
        order_rows, line_specs = [], []
        demand: Counter = Counter()
        for n in range(orders):
            customer = rng.choice(custs)
            approved = now - dt.timedelta(seconds=(orders - n) * 3)
            lines = []
            for pos, p in enumerate(rng.sample(pool, 3), start=1):
                qty = rng.randint(1, 10)
                net = (p.list_price * qty).quantize(CENT)
                tax = (net * TAX).quantize(CENT)
                lines.append((pos, p, qty, net, tax))
                demand[p.pk] += qty
            subtotal = sum(x[3] for x in lines)
            tax_total = sum(x[4] for x in lines)
            order_rows.append(
                Order(
                    number=f"SO-AB-{n:06d}",
                    customer=customer,
                    channel=Channel.DEALER_API,
                    status=OrderStatus.APPROVED,
                    shipping_address=address_of[customer.pk],
                    subtotal=subtotal,
                    tax_total=tax_total,
                    total=subtotal + tax_total,
                    accepts_partial_shipments=rng.random() < 0.85,
                    submitted_at=approved - dt.timedelta(minutes=5),
                    approved_at=approved,
                    allocation_status="",
                )
            )
            line_specs.append(lines)
        order_rows = Order.objects.bulk_create(order_rows, batch_size=2000)
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
                for o, lines in zip(order_rows, line_specs, strict=True)
                for pos, p, qty, net, tax in lines
            ],
            batch_size=5000,
        )

        # Opening stock: balances and their ledger receipts written together, so the ledger equals them.
        wh_ids = [w.pk for w in whs]
        stock: dict[tuple[int, int], int] = {}
        for p in products:
            d = demand.get(p.pk, 0)
            if scenario == "B":
                if p.pk not in demand:
                    continue
                total, where = math.ceil(d * 0.3), wh_ids
            else:
                factor = 1.3 if rng.random() < 0.9 else 0.5
                total = max(1, math.ceil(d * factor))
                where = rng.sample(wh_ids, min(len(wh_ids), rng.randint(2, 4)))
            weights = [rng.random() + 0.2 for _ in where]
            left = total
            for i, w in enumerate(where):
                qty = left if i == len(where) - 1 else int(total * weights[i] / sum(weights))
                left -= qty
                if qty > 0:
                    stock[(p.pk, w)] = qty
        StockLevel.objects.bulk_create(
            [StockLevel(product_id=p, warehouse_id=w, on_hand=q) for (p, w), q in stock.items()],
            batch_size=5000,
        )
        StockMovement.objects.bulk_create(
            [
                StockMovement(
                    kind=MovementKind.RECEIPT,
                    product_id=p,
                    warehouse_id=w,
                    on_hand_delta=q,
                    reason=OPENING_BALANCE_REASON,
                    document_type=BENCH_DOCUMENT,
                    document_id=scenario,
                )
                for (p, w), q in stock.items()
            ],
            batch_size=5000,
        )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return {
        "order_ids": [o.pk for o in order_rows],
        "customer_id": custs[0].pk,
        "skus": [p.sku for p in products],
        "stock_rows": len(stock),
        "stock_units": sum(stock.values()),
        "demand_units": sum(demand.values()),
        "products_ordered": len(demand),
    }


# --- checks -----------------------------------------------------------------------------------------


def check() -> dict:
    """Ledger = balances, never oversold, reservations agree everywhere; orders by allocation status."""
    from django.db.models import Count, F, Sum  # noqa: PLC0415

    from inventory.models import StockLevel  # noqa: PLC0415
    from inventory.selectors import stock_drift  # noqa: PLC0415
    from orders.models import LineAllocation, Order, OrderLine  # noqa: PLC0415

    levels = StockLevel.objects.aggregate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
    lines = OrderLine.objects.aggregate(quantity=Sum("quantity"), allocated=Sum("quantity_allocated"))
    return {
        "drift": len(stock_drift()),
        "oversold": StockLevel.objects.filter(reserved__gt=F("on_hand")).count(),
        "reserved_stock": levels["reserved"] or 0,
        "reserved_allocations": LineAllocation.objects.aggregate(q=Sum("quantity"))["q"] or 0,
        "reserved_lines": lines["allocated"] or 0,
        "ordered_units": lines["quantity"] or 0,
        "by_allocation": {
            row["allocation_status"] or "(none)": row["n"]
            for row in Order.objects.values("allocation_status").annotate(n=Count("id")).order_by()
        },
        "by_status": {
            row["status"]: row["n"]
            for row in Order.objects.values("status").annotate(n=Count("id")).order_by()
        },
    }


def _check_ok(c: dict, *, unprocessed: int = 0) -> bool:
    """The checks hold and exactly `unprocessed` orders (a baseline cut short on purpose) were left."""
    return (
        c["drift"] == 0
        and c["oversold"] == 0
        and c["reserved_stock"] == c["reserved_allocations"] == c["reserved_lines"]
        and c["by_allocation"].get("(none)", 0) == unprocessed
    )


# --- runs -------------------------------------------------------------------------------------------


def _broker_queue_length() -> int:
    return redis.Redis.from_url(BROKER_URL).llen("celery")


def _purge() -> None:
    from config.celery import app  # noqa: PLC0415

    app.control.purge()


def _start_workers(n: int, log_dir: Path) -> list[subprocess.Popen]:
    from config.celery import app  # noqa: PLC0415

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    procs = []
    for i in range(n):
        log = open(log_dir / f"worker{i}.log", "w")  # noqa: SIM115  (closed with the process)
        procs.append(
            subprocess.Popen(
                [
                    str(ROOT / ".venv" / "bin" / "celery"),
                    "-A",
                    "config",
                    "worker",
                    "-c",
                    "1",
                    "-n",
                    f"allocbench{i}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "-l",
                    "WARNING",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=1.0)
        if len(replies) >= n:
            return procs
    _stop_workers(procs)
    raise SystemExit("the Celery workers did not answer within 60 s")


def _stop_workers(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_workers(order_ids: list[int], *, workers: int, timeout: float, log_dir: Path) -> dict:
    """Enqueue one allocation task per order (approval order) and wait until every order was processed."""
    from django.db.models import Max  # noqa: PLC0415

    from orders.models import Order  # noqa: PLC0415
    from orders.tasks import order_allocate_task  # noqa: PLC0415

    _purge()
    procs = _start_workers(workers, log_dir)
    try:
        start_wall = time.time()
        start = time.perf_counter()
        for pk in order_ids:
            order_allocate_task.delay(order_id=pk)
        enqueue_s = time.perf_counter() - start
        left = len(order_ids)
        while left and time.perf_counter() - start < timeout:
            time.sleep(0.25)
            left = Order.objects.filter(allocation_status="").count()
        polled_s = time.perf_counter() - start
        follow_ups = _broker_queue_length()
        # Then until the workers consumed everything: the wake-ups that found their order taken and
        # the follow-up tasks (webhook fan-out) — the whole cost of the burst, not only its allocations.
        queued = follow_ups
        while queued and time.perf_counter() - start < timeout:
            time.sleep(0.25)
            queued = _broker_queue_length()
        drained_s = time.perf_counter() - start if not queued else float("nan")
    finally:
        _stop_workers(procs)
        _purge()
    last = Order.objects.aggregate(last=Max("updated_at"))["last"]
    wall = min(polled_s, last.timestamp() - start_wall) if last and not left else polled_s
    errors = 0
    for log in log_dir.glob("worker*.log"):
        errors += len(re.findall(r"\bERROR\b", log.read_text(errors="replace")))
    return {
        "orders": len(order_ids) - left,
        "seconds": wall,
        "enqueue_seconds": enqueue_s,
        "drained_seconds": drained_s,
        "unprocessed": left,
        "orders_per_s": (len(order_ids) - left) / wall if wall else 0.0,
        "follow_up_tasks": follow_ups,
        "worker_errors": errors,
    }


def _shape(sql: str) -> str:
    """A query's kind and table, e.g. 'SELECT FOR UPDATE inventory_stocklevel', 'INSERT orders_orderevent'."""
    s = sql.strip()
    head = s.split(None, 1)[0].upper()
    if head in ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT"):
        return head
    table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?([a-z_0-9]+)"?', s, re.IGNORECASE)
    suffix = " FOR UPDATE" if "FOR UPDATE" in s.upper() else ""
    return f"{head}{suffix} {table.group(1) if table else '?'}"


def run_in_process(order_ids: list[int], *, profile_every: int = 5) -> dict:
    """The allocation task's service in a loop in this process, once per order as the messages come
    (`orders_allocate_backlog(order_id=…)`): the first calls take batches of the backlog, the later
    ones find their order taken. Every call timed and its queries captured; every 5th profiled."""
    from django.db import connection  # noqa: PLC0415
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415

    from orders.models import Order  # noqa: PLC0415
    from orders.services.allocation import orders_allocate_backlog  # noqa: PLC0415

    profiler = cProfile.Profile()
    batches, wakeups, shapes, shape_ms = [], [], Counter(), Counter()
    start = time.perf_counter()
    for i, pk in enumerate(order_ids):
        profile = i % profile_every == 1
        # Django's query log keeps 9,000 entries: once full, a capture would see none.
        connection.queries_log.clear()
        t0 = time.perf_counter()
        with CaptureQueriesContext(connection) as ctx:
            if profile:
                profiler.enable()
            outcomes = orders_allocate_backlog(order_id=pk)
            if profile:
                profiler.disable()
        ms = (time.perf_counter() - t0) * 1000
        queries = ctx.captured_queries
        db_ms = sum(float(q["time"]) for q in queries) * 1000
        changed = sum(1 for outcome in outcomes if outcome.changed)
        (batches if changed else wakeups).append((ms, len(queries), db_ms, changed))
        if changed:
            for q in queries:
                shapes[_shape(q["sql"])] += 1
                shape_ms[_shape(q["sql"])] += float(q["time"]) * 1000
    seconds = time.perf_counter() - start
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(20)
    allocated = sum(b[3] for b in batches)
    processed = Order.objects.exclude(allocation_status="").count()

    def med(rows, k):
        return statistics.median(row[k] for row in rows) if rows else 0

    return {
        "orders": processed,
        "seconds": seconds,
        "orders_per_s": processed / seconds,
        "batches": len(batches),
        "orders_per_batch": allocated / len(batches) if batches else 0,
        "batch_ms_median": med(batches, 0),
        "batch_queries_median": med(batches, 1),
        "batch_queries_max": max((b[1] for b in batches), default=0),
        "batch_db_ms_median": med(batches, 2),
        "batch_seconds": sum(b[0] for b in batches) / 1000,
        "wakeups": len(wakeups),
        "wakeup_ms_median": med(wakeups, 0),
        "wakeup_queries_median": med(wakeups, 1),
        "wakeup_seconds": sum(w[0] for w in wakeups) / 1000,
        "shapes": {k: (v / len(batches), shape_ms[k] / v) for k, v in shapes.most_common()},
        "profile": out.getvalue(),
    }


def atp_latency(*, customer_id: int, skus: list[str], runs: int) -> dict:
    from django.db import connection  # noqa: PLC0415
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415

    from crm.models import Customer  # noqa: PLC0415
    from orders.services import order_quote  # noqa: PLC0415
    from pricing.services import LineRequest, price_lines  # noqa: PLC0415

    customer = Customer.objects.get(pk=customer_id)
    rng = random.Random(5)
    out = {}
    for label, n in (("1 product", 1), ("50 lines", 50)):
        for name, call in (
            (
                "price_lines(with_stock_available=True)",
                lambda lines: price_lines(customer=customer, lines=lines, with_stock_available=True),
            ),
            ("order_quote", lambda lines: order_quote(customer=customer, lines=lines)),
        ):
            samples = []
            requests = [
                [LineRequest(sku=sku, quantity=rng.randint(1, 20)) for sku in rng.sample(skus, n)]
                for _ in range(runs + 10)
            ]
            for lines in requests[:10]:  # warm-up: compiled query, pricing reference cache
                call(lines)
            connection.queries_log.clear()  # at most 9,000 kept: a full log captures nothing
            with CaptureQueriesContext(connection) as ctx:
                call(requests[10])
            queries = len(ctx.captured_queries)
            for lines in requests[10:]:
                t0 = time.perf_counter()
                call(lines)
                samples.append((time.perf_counter() - t0) * 1000)
            samples.sort()
            out[(label, name)] = {
                "p50": statistics.median(samples),
                "p95": samples[int(len(samples) * 0.95) - 1],
                "queries": queries,
            }
    return out


# --- report -----------------------------------------------------------------------------------------


def _batch_size() -> int:
    from django.conf import settings  # noqa: PLC0415

    return settings.ALLOCATION_BATCH_SIZE


def _report(machine, args, results, atp) -> str:
    out = [
        f"# Allocation backlog benchmark — {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB; "
        f"PostgreSQL {machine['postgresql']}; Python {machine['python']}; Django {machine['django']}; "
        f"load average before the run {machine['load']}.",
        f"Data per scenario: {args.orders:,} approved orders × 3 lines, {args.skus:,} products, "
        f"{args.warehouses} warehouses with coordinates, {args.customers} customers (addresses with "
        "coordinates); opening stock as balances plus ledger receipts, seeded afresh for every run.",
        f"Workers: {args.workers} × `celery -A config worker -c 1` (prefork, DEBUG off, persistent DB "
        f"connections), Redis broker ({BROKER_URL}); one `order_allocate_task.delay()` per order, in "
        "approval order (each wakes a worker, which allocates that order and the most urgent others still "
        f"waiting, up to ALLOCATION_BATCH_SIZE = {_batch_size()} in one transaction); timed from the first "
        'enqueue until every order has an allocation status; "drained": until the workers have also '
        "consumed every message (the wake-ups that found their order taken, the follow-ups). "
        "In process: the task's service in a loop in one process.",
        "",
        "| scenario | run | orders | seconds | orders/s | enqueue s | drained s | allocated | partial "
        "| backordered | units reserved / ordered | checks |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for scenario, runs in results.items():
        for mode, r in runs.items():
            c = r["check"]
            by = c["by_allocation"]
            ok = (
                "ok"
                if _check_ok(c, unprocessed=r["expected_unprocessed"])
                else (
                    f"FAILED: drift {c['drift']}, oversold {c['oversold']}, reserved "
                    f"{c['reserved_stock']}/{c['reserved_allocations']}/{c['reserved_lines']}, "
                    f"unprocessed {by.get('(none)', 0)}"
                )
            )
            enqueue = f"{r['enqueue_seconds']:.1f}" if "enqueue_seconds" in r else "–"
            drained = f"{r['drained_seconds']:.1f}" if "drained_seconds" in r else "–"
            out.append(
                f"| {scenario} | {mode} | {r['orders']:,} | {r['seconds']:.1f} | {r['orders_per_s']:.0f} | "
                f"{enqueue} | {drained} | {by.get('allocated', 0):,} | {by.get('partial', 0):,} | "
                f"{by.get('backordered', 0):,} | {c['reserved_stock']:,} / {c['ordered_units']:,} | {ok} |"
            )
    out += [
        "",
        "Checks after every run: `inventory.selectors.stock_drift() == []`, no row with reserved > on hand, "
        "units reserved equal in the ledger balances, LineAllocation rows and the lines' quantity_allocated, "
        "no order left without an allocation status (the baseline: exactly the orders it was not given).",
        "",
    ]
    if args.baseline_orders:
        out += [
            f"The baseline was timed on the first {args.baseline_orders:,} orders of the same backlog only "
            "(`--baseline-orders`): they find the most stock, so in the hot-SKU scenario it is the "
            "dearer path (everything reserved) rather than the backlog's mix.",
            "",
        ]
    for scenario, runs in results.items():
        seed_info = runs[next(iter(runs))]["seed"]
        out.append(
            f"- {scenario}: {seed_info['products_ordered']:,} products ordered, "
            f"{seed_info['stock_rows']:,} stock rows, {seed_info['stock_units']:,} units on hand "
            f"for {seed_info['demand_units']:,} ordered "
            f"(seeded in {seed_info['seconds']:.1f} s)."
        )
        for mode, r in runs.items():
            if "follow_up_tasks" in r:
                out.append(
                    f"  {mode}: messages still queued when the last order was allocated (wake-ups that "
                    f"find their order taken, webhook fan-out of `order.allocated` / `order.backordered`): "
                    f"{r['follow_up_tasks']:,}; worker log errors: "
                    f"{r['worker_errors']}."
                )
    for scenario, runs in results.items():
        r = runs.get("in-process")
        if not r:
            continue
        out += [
            "",
            f"## The allocation task's service in one process, scenario {scenario}",
            "",
            f"`orders_allocate_backlog(order_id=…)` once per order, as the messages arrive: {r['batches']:,} "
            f"calls took a batch ({r['orders_per_batch']:.1f} orders each on average; median "
            f"{r['batch_ms_median']:.1f} ms per batch, of which {r['batch_db_ms_median']:.1f} ms waiting on "
            f"PostgreSQL; queries per batch: median {r['batch_queries_median']:.0f}, max "
            f"{r['batch_queries_max']}; {r['batch_seconds']:.1f} s in all), {r['wakeups']:,} found their "
            f"order taken already (median {r['wakeup_ms_median']:.2f} ms, {r['wakeup_queries_median']:.0f} "
            f"queries; {r['wakeup_seconds']:.1f} s in all).",
            "",
            "| query (kind, table) | per batch | mean ms |",
            "|---|---:|---:|",
        ]
        out += [f"| {shape} | {n:.2f} | {ms:.2f} |" for shape, (n, ms) in r["shapes"].items()]
    if atp:
        out += [
            "",
            f"## ATP latency (scenario A's data after its last run; {args.atp_runs} runs each, in process)",
            "",
            "| request | call | p50 ms | p95 ms | queries |",
            "|---|---|---:|---:|---:|",
        ]
        for (label, name), r in atp.items():
            out.append(f"| {label} | `{name}` | {r['p50']:.2f} | {r['p95']:.2f} | {r['queries']} |")
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--skus", type=int, default=2_000)
    parser.add_argument("--warehouses", type=int, default=5)
    parser.add_argument("--hot", type=int, default=20)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scenarios", nargs="+", default=["A", "B"], choices=["A", "B"])
    parser.add_argument(
        "--modes",
        nargs="+",
        default=["workers", "in-process"],
        choices=["workers", "in-process"],
        help="Celery workers, and/or the single-process baseline",
    )
    parser.add_argument(
        "--baseline-orders",
        type=int,
        default=0,
        help="time the baseline on the first N orders of the backlog only (0: all)",
    )
    parser.add_argument("--atp-runs", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for the workers")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--profile-out", help="also write the baseline's full cProfile text here")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "allocation_backlog.md"))
    args = parser.parse_args()
    if args.warehouses > len(CITIES):
        parser.error(f"at most {len(CITIES)} warehouses")

    _ensure_redis(BROKER_URL)
    _ensure_database(os.environ["DATABASE_URL"])
    import django  # noqa: PLC0415

    django.setup()
    from django.core.management import call_command  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415

    from inventory.selectors import stock_drift  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    machine = _machine()
    machine["load"] = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    print(f"Machine: {machine}", flush=True)
    modes = args.modes
    results: dict = {}
    atp = None
    log_dir = Path(tempfile.mkdtemp(prefix="oms-allocbench-"))
    for scenario in args.scenarios:
        results[scenario] = {}
        for mode in modes:
            _reset()
            t0 = time.perf_counter()
            data = seed(
                scenario=scenario,
                orders=args.orders,
                skus=args.skus,
                warehouses=args.warehouses,
                hot=args.hot,
                customers=args.customers,
                seed=args.seed,
            )
            data["seconds"] = time.perf_counter() - t0
            drift = stock_drift()
            if drift:
                raise SystemExit(f"seed left the ledger off its balances: {drift[:5]}")
            print(f"[{scenario}/{mode}] seeded in {data['seconds']:.1f} s; running…", flush=True)
            if mode == "workers":
                connection.close()  # the workers take over; this process only polls
                r = run_workers(
                    data["order_ids"], workers=args.workers, timeout=args.timeout, log_dir=log_dir
                )
            else:
                r = run_in_process(data["order_ids"][: args.baseline_orders or None])
                _purge()  # the follow-up tasks this process published
                if args.profile_out:
                    Path(args.profile_out).write_text(r["profile"])
            r["seed"] = data
            r["expected_unprocessed"] = len(data["order_ids"]) - r["orders"] if mode == "in-process" else 0
            r["check"] = check()
            results[scenario][mode] = r
            ok = _check_ok(r["check"], unprocessed=r["expected_unprocessed"])
            print(
                f"[{scenario}/{mode}] {r['seconds']:.1f} s, {r['orders_per_s']:.0f} orders/s; "
                f"{r['check']['by_allocation']}; checks {'ok' if ok else 'FAILED'}",
                flush=True,
            )
            if mode == "in-process":
                print(r["profile"], flush=True)
        if scenario == "A" and args.atp_runs:
            atp = atp_latency(customer_id=data["customer_id"], skus=data["skus"], runs=args.atp_runs)
    report = _report(machine, args, results, atp)
    print(report)
    Path(args.output).parent.mkdir(exist_ok=True)
    Path(args.output).write_text(report)


if __name__ == "__main__":
    main()
