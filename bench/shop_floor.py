"""Shop-floor endpoint benchmark: POST /api/v1/shop-floor/events/ at 8 terminals, through gunicorn,
against PostgreSQL (issue #10).

    make bench-shop-floor          # or: .venv/bin/python bench/shop_floor.py [--duration 15] [--clients 8]

Eight terminals (wrk, one connection per thread so each terminal's reports go in order) report stage
starts and finishes on their plant's work orders: every report is a first recording (a new event id
moving a stage; the first start reserves materials and moves the work order to in progress, the last
finish completes it), each updating the order line's summary and timeline. A second run replays
reports already recorded (same event ids: 200 with Idempotent-Replayed). Prints the machine, the
data size, events/s and p50/p99 for both and the queries of one start and one finish; writes
bench/results/shop_floor.md.

Each run seeds its own work orders (3 plants, one order line and 4 stages each) and a new terminal
into BENCH_SHOP_FLOOR_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/oms_bench_shop_floor);
earlier runs' rows stay as history. Redis (BENCH_BROKER_URL, default redis://127.0.0.1:6379/8) is the
broker the events' follow-ups are published to (no worker runs; the queue is purged) and the cache.
Only meaningful on an otherwise idle machine.
"""

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# bench.run sets its own database in the environment at import: import it first, then choose ours.
from bench.run import (  # noqa: E402
    _ensure_database,
    _ensure_redis,
    _ensure_wrk,
    _free_port,
    _machine,
    _purge_broker,
    _start_gunicorn,
)

os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_SHOP_FLOOR_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/oms_bench_shop_floor"
)
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
os.environ.setdefault("OMS_VAR_DIR", str(ROOT / "var" / "bench"))
BROKER_URL = os.environ.setdefault("BENCH_BROKER_URL", "redis://127.0.0.1:6379/8")

ROUTING = (
    ("welding", "Frame welding", Decimal("1")),
    ("painting", "Painting", Decimal("0.5")),
    ("assembly", "Assembly", Decimal("2")),
    ("inspection", "Inspection", Decimal("0.5")),
)
WARMUP_WOS = 800
CENT = Decimal("0.01")


def _seed(work_orders: int) -> dict:
    """A run's work orders (all at plant BN1, whose terminal reports), their orders and stages."""
    from django.db import connection, transaction  # noqa: PLC0415  (Django only after setup)
    from django.utils import timezone  # noqa: PLC0415

    from crm.models import Customer  # noqa: PLC0415
    from inventory.models import Category, Product, Warehouse  # noqa: PLC0415
    from orders.models import Order, OrderLine  # noqa: PLC0415
    from production.models import Plant, WorkOrder, WorkOrderStage  # noqa: PLC0415
    from production.services.devices import device_create  # noqa: PLC0415

    run = dt.datetime.now(dt.UTC).strftime("%m%d%H%M%S")
    prefix = f"WO-BN{run}-"
    # The plants' warehouse is where the last finish receives the built units (and reserves them to
    # their order): every report, the completing one included, is a real one.
    warehouse, _ = Warehouse.objects.get_or_create(
        code="BNW", defaults={"name": "Bench plant warehouse", "region": "Jiangsu"}
    )
    plants = [
        Plant.objects.get_or_create(
            code=f"BN{i}", defaults={"name": f"Bench plant {i}", "region": "Jiangsu", "warehouse": warehouse}
        )[0]
        for i in (1, 2, 3)
    ]
    Plant.objects.filter(pk__in=[p.pk for p in plants], warehouse=None).update(warehouse=warehouse)
    category, _ = Category.objects.get_or_create(code="bench-build", defaults={"name": "Bench builds"})
    product, _ = Product.objects.get_or_create(
        sku="BN-TRUCK",
        defaults={
            "name": "Bench truck",
            "category": category,
            "unit_cost": Decimal("100000"),
            "list_price": Decimal("150000"),
            "made_to_order": True,
        },
    )
    customer, _ = Customer.objects.get_or_create(code="BNSF", defaults={"name": "Bench fleet customer"})
    now = timezone.now()
    with transaction.atomic():
        orders = Order.objects.bulk_create(
            [
                Order(
                    number=f"SO-BN{run}-{i:06d}",
                    customer=customer,
                    channel="dealer_api",
                    status="in_production",
                    subtotal=product.list_price,
                    total=product.list_price,
                    requested_delivery_date=(now + dt.timedelta(days=30)).date(),
                )
                for i in range(work_orders)
            ],
            batch_size=2000,
        )
        lines = OrderLine.objects.bulk_create(
            [
                OrderLine(
                    order=order,
                    position=1,
                    product=product,
                    sku=product.sku,
                    description=product.name,
                    quantity=1,
                    unit_price=product.list_price,
                    net_amount=product.list_price,
                    tax_rate=Decimal("0"),
                    tax_amount=Decimal("0"),
                    line_total=product.list_price,
                    is_custom_build=True,
                )
                for order in orders
            ],
            batch_size=2000,
        )
        start = now - dt.timedelta(hours=1)
        wos = WorkOrder.objects.bulk_create(
            [
                WorkOrder(
                    number=f"{prefix}{i:06d}",
                    order=line.order,
                    order_line=line,
                    product=product,
                    plant=plants[0],
                    warehouse=warehouse,
                    quantity=1,
                    planned_start=start,
                    planned_finish=start + dt.timedelta(days=6),
                    promised_date=(start + dt.timedelta(days=6)).date(),
                    eta=start + dt.timedelta(days=6),
                )
                for i, line in enumerate(lines)
            ],
            batch_size=2000,
        )
        WorkOrderStage.objects.bulk_create(
            [
                WorkOrderStage(work_order=wo, position=p, code=code, name=name, standard_days=days)
                for wo in wos
                for p, (code, name, days) in enumerate(ROUTING, start=1)
            ],
            batch_size=5000,
        )
    device, token = device_create(plant_id=plants[0].pk, name=f"Bench terminal {run}")
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return {"prefix": prefix, "token": token, "device_id": device.pk}


def _size() -> dict:
    from orders.models import Order  # noqa: PLC0415  (Django only after setup)
    from production.models import ShopFloorEvent, WorkOrder, WorkOrderEvent, WorkOrderStage  # noqa: PLC0415

    return {
        "work_orders": WorkOrder.objects.count(),
        "stages": WorkOrderStage.objects.count(),
        "work_order_events": WorkOrderEvent.objects.count(),
        "shop_floor_events": ShopFloorEvent.objects.count(),
        "orders": Order.objects.count(),
    }


def _query_counts(token: str, prefix: str, index: int) -> dict:
    from django.db import connection  # noqa: PLC0415  (Django only after setup)
    from django.test import Client  # noqa: PLC0415
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415

    client = Client()
    number = f"{prefix}{index:06d}"
    out = {}
    for step, (stage, action) in enumerate(
        [("welding", "start"), ("welding", "finish"), ("painting", "start"), ("welding", "finish")]
    ):
        body = {"event_id": f"q-{number}-{step}", "work_order": number, "stage": stage, "action": action}
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(
                "/api/v1/shop-floor/events/",
                data=json.dumps(body),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Device {token}",
            )
        if response.status_code not in (200, 201):
            raise SystemExit(f"shop-floor event failed ({response.status_code}): {response.content[:300]!r}")
        out[step] = len(ctx.captured_queries)
    return {"first_start": out[0], "finish": out[1], "start": out[2], "same_again": out[3]}


def _wrk(wrk: str, url: str, *, clients: int, duration: int, env: dict) -> dict:
    cmd = [wrk, f"-t{clients}", f"-c{clients}", f"-d{duration}s", "--timeout", "10s"]
    cmd += ["-s", str(ROOT / "bench" / "shop_floor.lua"), url]
    result = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        env={**os.environ, "BENCH_THREADS": str(clients), **env},
        check=True,
    )
    text = result.stdout
    m = re.search(r"BENCH p50_ms=([\d.]+) p99_ms=([\d.]+)", text)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    total = re.search(r"(\d+) requests in", text)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
        "p50_ms": float(m.group(1)),
        "p99_ms": float(m.group(2)),
        "errors": int(non2xx.group(1)) if non2xx else 0,
        "requests": int(total.group(1)) if total else 0,
    }


def _completed_work_orders(run: dict, clients: int) -> int:
    """How many work orders each terminal surely took through all 8 reports (replayed afterwards)."""
    return max(1, min(10, (run["requests"] - run["errors"]) // clients // 8))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=int(os.environ.get("BENCH_DURATION", "15")))
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", "4")))
    parser.add_argument("--work-orders", type=int, default=6000)
    args = parser.parse_args()

    _ensure_redis(BROKER_URL)
    _ensure_database(os.environ["DATABASE_URL"])
    wrk = _ensure_wrk()
    import django  # noqa: PLC0415  (Django only after the bench environment above is set)

    django.setup()
    from django.core.management import call_command  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    data = _seed(args.work_orders)
    seed_s = time.perf_counter() - t0
    _purge_broker()
    # The last work order is the query-count probe; the wrk runs never reach it.
    queries = _query_counts(data["token"], data["prefix"], args.work_orders - 1)
    size = _size()
    machine = _machine()
    connection.close()

    port = _free_port()
    server = _start_gunicorn(port, args.workers)
    url = f"http://127.0.0.1:{port}/api/v1/shop-floor/events/"
    env = {"BENCH_TOKEN": data["token"], "BENCH_WO_PREFIX": data["prefix"]}
    try:
        _wrk(wrk, url, clients=args.clients, duration=3, env={**env, "BENCH_WO_BASE": "0"})  # warm-up
        main_env = {**env, "BENCH_WO_BASE": str(WARMUP_WOS)}
        first = _wrk(wrk, url, clients=args.clients, duration=args.duration, env=main_env)
        replay = _wrk(
            wrk,
            url,
            clients=args.clients,
            duration=max(5, args.duration // 2),
            env={**main_env, "BENCH_REPLAY_WOS": str(_completed_work_orders(first, args.clients))},
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
        _purge_broker()

    from production.models import ShopFloorEvent  # noqa: PLC0415

    recorded = ShopFloorEvent.objects.filter(device_id=data["device_id"]).count()
    connection.close()
    report = _report(machine, size, seed_s, queries, first, replay, recorded, args)
    print(report)
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "shop_floor.md").write_text(report)


def _report(machine, size, seed_s, queries, first, replay, recorded, args) -> str:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    row = "| {name} | {rps:.1f} | {p50_ms:.1f} | {p99_ms:.1f} | {requests:,} | {errors} |"
    return "\n".join(
        [
            f"# Shop-floor endpoint benchmark — {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
            "",
            f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB; "
            f"PostgreSQL {machine['postgresql']}; Python {machine['python']}; "
            f"Django {machine['django']}; "
            f"load average before the run {load}.",
            f"Server: gunicorn, {args.workers} sync workers, DEBUG off, persistent DB connections, "
            f"Redis broker and cache ({BROKER_URL}, no worker); load: wrk on the same machine, "
            f"{args.clients} terminals (one connection each, reports in order), {args.duration} s.",
            f"Data before the run: {size['work_orders']:,} work orders ({size['stages']:,} stages), "
            f"{size['orders']:,} orders, {size['work_order_events']:,} work order timeline entries, "
            f"{size['shop_floor_events']:,} shop-floor events; this run's {args.work_orders:,} work orders "
            f"seeded in {seed_s:.1f} s.",
            "",
            "## POST /api/v1/shop-floor/events/",
            "",
            "| reports | events/s | p50 ms | p99 ms | requests | non-2xx |",
            "|---|---:|---:|---:|---:|---:|",
            row.format(name="first recordings (start/finish in routing order)", **first),
            row.format(name="repeats of recorded event ids (replayed, 200)", **replay),
            "",
            f"Recorded by the terminal: {recorded:,} events (warm-up included).",
            "",
            "## Queries per report (whole request, warm caches)",
            "",
            f"- first start of a work order (materials, in progress): {queries['first_start']}",
            f"- a finish: {queries['finish']}; a later start: {queries['start']}",
            f"- the same report again under a new event id (nothing to do): {queries['same_again']}",
            "",
        ]
    )


if __name__ == "__main__":
    main()
