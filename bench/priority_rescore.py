"""Re-scoring the priority of 10,000 open orders in a bounded number of queries (issue #9).

    make bench-priority             # or: .venv/bin/python bench/priority_rescore.py [--orders 10000]
        [--customers 300] [--batches 250 1000 5000] [--single 1000]

Seeds `--orders` open orders (every open status; totals, requested dates, submission times,
promotion flags and customers' tiers and kinds spread at random, no lines: scoring reads none) into
its own PostgreSQL database (BENCH_PRIO_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/oms_bench_priority — emptied first; a name without "bench" is
refused), then times, in this process, the sweep the beat and a change of weights start
(orders.services.order_rescore_open, batch after batch until the last, as order_rescore_open_task
chains itself):

- every score stale (the first sweep after the weights changed): every order written, one timeline
  entry each — once per batch size in `--batches`;
- nothing changed (the 15-minute beat on a quiet queue): reads only;
- the single-order path of the event listeners (order_score_priority) on `--single` stale orders,
  for comparison: what scoring order by order would cost.

For each: wall time, orders/s, queries in all and per batch, rows written, timeline entries. Prints
the machine and the sizes; writes bench/results/priority_rescore.md. Only meaningful on an otherwise
idle machine.
"""

import argparse
import datetime as dt
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# bench.run sets its own database in the environment at import: import it first, then choose ours.
from bench.run import _ensure_database, _machine  # noqa: E402

os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_PRIO_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/oms_bench_priority"
)
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
os.environ.setdefault("OMS_VAR_DIR", str(ROOT / "var" / "bench"))

CENT = Decimal("0.01")


def _reset() -> None:
    """Empty every table of the bench database (its own; refused for any other)."""
    from django.core.management import call_command  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415

    name = connection.settings_dict["NAME"]
    if "bench" not in name:
        raise SystemExit(f"refusing to empty database {name!r}: its name must contain 'bench'")
    call_command("flush", interactive=False, verbosity=0)


def seed(*, orders: int, customers: int, seed: int) -> dict:
    """Customers of every tier and kind, and `orders` open orders with what scoring reads."""
    from django.db import transaction  # noqa: PLC0415
    from django.utils import timezone  # noqa: PLC0415

    from crm.models import Customer, CustomerKind, CustomerTier  # noqa: PLC0415
    from orders.models import Channel, Order  # noqa: PLC0415
    from orders.states import OPEN  # noqa: PLC0415
    from orders.tests.factories import priority_factors  # noqa: PLC0415

    rng = random.Random(seed)
    now = timezone.now()
    today = timezone.localdate()
    statuses = sorted(OPEN)
    t0 = time.perf_counter()
    with transaction.atomic():
        priority_factors()
        custs = Customer.objects.bulk_create(
            [
                Customer(
                    code=f"PB{i:04d}",
                    name=f"Priority bench customer {i}",
                    tier=rng.choice(CustomerTier.values),
                    kind=rng.choice(CustomerKind.values),
                )
                for i in range(customers)
            ]
        )
        rows = []
        for n in range(orders):
            status = rng.choice(statuses)
            subtotal = Decimal(str(round(rng.lognormvariate(10, 1.5), 2))).quantize(CENT)
            tax = (subtotal * Decimal("0.13")).quantize(CENT)
            rows.append(
                Order(
                    number=f"SO-PB-{n:06d}",
                    customer=rng.choice(custs),
                    channel=Channel.DEALER_API,
                    status=status,
                    status_before_hold="submitted" if status == "on_hold" else "",
                    subtotal=subtotal,
                    tax_total=tax,
                    total=subtotal + tax,
                    requested_delivery_date=(
                        today + dt.timedelta(days=rng.randint(-5, 45)) if rng.random() < 0.8 else None
                    ),
                    submitted_at=None
                    if status == "draft"
                    else now - dt.timedelta(hours=rng.randint(0, 24 * 20)),
                    is_promotion=rng.random() < 0.1,
                    priority=0,
                )
            )
        Order.objects.bulk_create(rows, batch_size=2000)
    return {"orders": orders, "customers": customers, "seconds": time.perf_counter() - t0}


def _make_stale() -> None:
    """Every open order as a change of weights leaves it: its stored score and breakdown out of date."""
    from orders.models import Order, OrderEvent  # noqa: PLC0415

    Order.objects.update(priority=0, priority_breakdown=[])
    OrderEvent.objects.filter(kind="order.priority_scored").delete()


def sweep(*, batch: int) -> dict:
    """The whole chain of order_rescore_open_task, in process: batch after batch until the last."""
    from django.db import connection  # noqa: PLC0415
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415

    from orders.models import Order, OrderEvent  # noqa: PLC0415
    from orders.services import order_rescore_open  # noqa: PLC0415

    written_before = OrderEvent.objects.filter(kind="order.priority_scored").count()
    marker = Order.objects.order_by("-updated_at").values_list("updated_at", flat=True).first()
    batches, handled, after = 0, 0, None
    with CaptureQueriesContext(connection) as queries:
        t0 = time.perf_counter()
        while True:
            result = order_rescore_open(after=after, batch=batch)
            batches += 1
            handled += result.handled
            if not result.more:
                break
            after = result.after
        seconds = time.perf_counter() - t0
    assert Order.objects.order_by("-updated_at").values_list("updated_at", flat=True).first() == marker
    return {
        "batch": batch,
        "orders": handled,
        "batches": batches,
        "seconds": seconds,
        "orders_per_s": handled / seconds if seconds else 0.0,
        "queries": len(queries.captured_queries),
        "moved": OrderEvent.objects.filter(kind="order.priority_scored").count() - written_before,
    }


def single(*, orders: int) -> dict:
    """The event listeners' path, order by order (order_score_priority), on the first `orders` orders."""
    from django.db import connection  # noqa: PLC0415
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415

    from orders.selectors import order_list_open  # noqa: PLC0415
    from orders.services import order_score_priority  # noqa: PLC0415

    ids = list(order_list_open().values_list("pk", flat=True)[:orders])
    with CaptureQueriesContext(connection) as queries:
        t0 = time.perf_counter()
        for order_id in ids:
            order_score_priority(order_id=order_id)
        seconds = time.perf_counter() - t0
    return {
        "orders": len(ids),
        "seconds": seconds,
        "orders_per_s": len(ids) / seconds if seconds else 0.0,
        "queries": len(queries.captured_queries),
    }


def check() -> dict:
    """Every open order scored, its breakdown summing to its score."""
    from orders.models import Order  # noqa: PLC0415
    from orders.states import OPEN  # noqa: PLC0415

    bad = 0
    for score, breakdown in Order.objects.filter(status__in=OPEN).values_list(
        "priority", "priority_breakdown"
    ):
        if not breakdown or sum(e["points"] for e in breakdown) != score:
            bad += 1
    return {"bad": bad}


def _report(machine, args, data, runs, quiet, per_order, checks) -> str:
    out = [
        f"# Priority rescoring benchmark — {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB; "
        f"PostgreSQL {machine['postgresql']}; Python {machine['python']}; Django {machine['django']}; "
        f"load average before the run {machine['load']}.",
        f"Data: {data['orders']:,} open orders (every open status) of {data['customers']} customers of "
        f"every tier and kind, bulk-inserted in {data['seconds']:.1f} s; weights: the defaults plus age in "
        "queue 10 and promotion 10 (all five factors count).",
        "The sweep runs in this process as `order_rescore_open_task` chains itself: `order_rescore_open` "
        "batch after batch (the orders with their customer in one query, those whose score or breakdown "
        "changed again under lock in primary-key order, one UPDATE, one INSERT of timeline entries). "
        "Queries are counted as psycopg sends them, BEGIN and COMMIT included: a batch with changes is 7, "
        "one with nothing to write 4.",
        "",
        "| run | batch | orders | batches | seconds | orders/s | queries | per batch | timeline entries |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        out.append(
            f"| every score stale | {r['batch']:,} | {r['orders']:,} | {r['batches']} | {r['seconds']:.2f} "
            f"| {r['orders_per_s']:,.0f} | {r['queries']:,} | {r['queries'] / r['batches']:.1f} "
            f"| {r['moved']:,} |"
        )
    out.append(
        f"| nothing changed | {quiet['batch']:,} | {quiet['orders']:,} | {quiet['batches']} | "
        f"{quiet['seconds']:.2f} | {quiet['orders_per_s']:,.0f} | {quiet['queries']:,} | "
        f"{quiet['queries'] / quiet['batches']:.1f} | {quiet['moved']:,} |"
    )
    out += [
        "",
        f"For comparison, the event listeners' single-order path (`order_score_priority`, one transaction "
        f"each) on {per_order['orders']:,} stale orders: {per_order['seconds']:.2f} s, "
        f"{per_order['orders_per_s']:,.0f} orders/s, {per_order['queries']:,} queries "
        f"({per_order['queries'] / per_order['orders']:.1f} per order).",
        "",
        f"Checks after every run: every open order has a breakdown that sums to its score "
        f"({'ok' if not any(c['bad'] for c in checks) else 'FAILED: ' + str([c['bad'] for c in checks])}).",
    ]
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--batches", type=int, nargs="+", default=[250, 1000, 5000])
    parser.add_argument("--single", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "priority_rescore.md"))
    args = parser.parse_args()

    _ensure_database(os.environ["DATABASE_URL"])
    import django  # noqa: PLC0415

    django.setup()
    from django.core.management import call_command  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415

    from orders.models import PriorityFactor  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    machine = _machine()
    machine["load"] = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    print(f"Machine: {machine}; database {connection.settings_dict['NAME']}", flush=True)
    _reset()
    data = seed(orders=args.orders, customers=args.customers, seed=args.seed)
    # The weights as an order manager would set them (priority_factor_update saves exactly this; its
    # event would start the sweep timed below).
    PriorityFactor.objects.filter(code__in=["age", "promotion"]).update(weight=10)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    print(f"Seeded {data['orders']:,} open orders in {data['seconds']:.1f} s", flush=True)
    runs, checks = [], []
    for batch in args.batches:
        _make_stale()
        r = sweep(batch=batch)
        runs.append(r)
        checks.append(check())
        print(f"stale, batch {batch}: {r}", flush=True)
    quiet = sweep(batch=args.batches[len(args.batches) // 2])
    checks.append(check())
    print(f"nothing changed: {quiet}", flush=True)
    _make_stale()
    per_order = single(orders=args.single)
    print(f"single-order path: {per_order}", flush=True)
    report = _report(machine, args, data, runs, quiet, per_order, checks)
    print(report)
    Path(args.output).parent.mkdir(exist_ok=True)
    Path(args.output).write_text(report)


if __name__ == "__main__":
    main()
