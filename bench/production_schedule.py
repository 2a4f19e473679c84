"""Scheduling 2,000 work orders over 3 plants (issue #10).

    .venv/bin/python bench/production_schedule.py [--work-orders 2000] [--plants 3] [--products 40]

Seeds its own PostgreSQL database (BENCH_PRODUCTION_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/oms_production_bench; emptied first, refused unless its name contains
"bench"): two product families (trucks: 4 stages, lighting: 4 stages) with `--products` built products
and a bill of materials of three components each, `--plants` plants (each with a truck line of 3 units
a day and a lighting line of 200, a Monday–Friday calendar with the Spring Festival closed and two
make-up Saturdays) and a warehouse per plant.

Then creates `--work-orders` make-to-stock work orders one by one through
production.services.scheduling.work_order_create (quantities 1–6 trucks or 50–400 fixtures; each is
booked at the earliest slot any plant's line allows, gets its stages, materials and an expected
receipt), and reports the wall time, work orders per second, the p50/p99 of one creation and its
queries; then re-sequences the first work order of the busiest line to the back of its queue
(work_order_resequence: every date behind it is recomputed) and reports that. Checks after each phase
that no line's day is booked above its capacity and no booking falls on a day off.

Prints the machine and the figures; writes bench/results/production_schedule.md. Only meaningful on
an otherwise idle machine.
"""

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# bench.run sets its own database in the environment at import: import it first, then choose ours.
from bench.run import _ensure_database, _machine  # noqa: E402

os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_PRODUCTION_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/oms_production_bench"
)
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
os.environ.setdefault("OMS_VAR_DIR", str(ROOT / "var" / "bench"))

HOLIDAYS = ["2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10", "2027-02-11", "2027-02-12"]
MAKE_UP = ["2027-01-30", "2027-02-20"]


class Queries:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _reset() -> None:
    from django.core.management import call_command  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415

    name = connection.settings_dict["NAME"]
    if "bench" not in name:
        raise SystemExit(f"refusing to empty database {name!r}: its name must contain 'bench'")
    call_command("flush", interactive=False, verbosity=0)


def seed(*, plants: int, products: int) -> dict:
    from inventory.models import Category, Product, Warehouse  # noqa: PLC0415
    from production.models import (  # noqa: PLC0415
        BomLine,
        FamilyCategory,
        Plant,
        PlantDay,
        ProductFamily,
        ProductionLine,
        RoutingStage,
    )

    families = {}
    for code, tracking, stages in (
        ("trucks", "serial", [("welding", "1"), ("painting", "1"), ("assembly", "2"), ("inspection", "0.5")]),
        ("lighting", "batch", [("forming", "0.5"), ("coating", "1"), ("assembly", "1"), ("burn-in", "0.5")]),
    ):
        family = families[code] = ProductFamily.objects.create(
            code=code, name=code.title(), tracking=tracking
        )
        category = Category.objects.create(code=code, name=code.title())
        FamilyCategory.objects.create(family=family, category=category)
        for position, (stage, days) in enumerate(stages, start=1):
            RoutingStage.objects.create(
                family=family, position=position, code=stage, name=stage.title(), standard_days=Decimal(days)
            )
    components_cat = Category.objects.create(code="components", name="Components")
    components = [
        Product.objects.create(
            sku=f"CMP-{n:03d}", name=f"Component {n}", category=components_cat, unit_cost=1, list_price=1
        )
        for n in range(12)
    ]
    built = []
    for n in range(products):
        family = "trucks" if n % 2 == 0 else "lighting"
        product = Product.objects.create(
            sku=f"{family[:3].upper()}-{n:04d}",
            name=f"{family} model {n}",
            category=Category.objects.get(code=family),
            unit_cost=100,
            list_price=150,
            made_to_order=True,
        )
        for component in random.Random(n).sample(components, 3):
            BomLine.objects.create(product=product, component=component, quantity=Decimal("2"))
        built.append((product.pk, family))
    for n in range(plants):
        warehouse = Warehouse.objects.create(code=f"W{n:02d}", name=f"Plant warehouse {n}", region="Hubei")
        plant = Plant.objects.create(code=f"P{n:02d}", name=f"Plant {n}", region="Hubei", warehouse=warehouse)
        ProductionLine.objects.create(
            plant=plant, code="T", name="Trucks", family=families["trucks"], units_per_day=3
        )
        ProductionLine.objects.create(
            plant=plant, code="L", name="Lighting", family=families["lighting"], units_per_day=200
        )
        PlantDay.objects.bulk_create(
            [PlantDay(plant=plant, date=dt.date.fromisoformat(d), is_working=False) for d in HOLIDAYS]
            + [PlantDay(plant=plant, date=dt.date.fromisoformat(d), is_working=True) for d in MAKE_UP]
        )
    return {"plants": plants, "lines": plants * 2, "products": products, "components": len(components)}


def _check_capacity() -> dict:
    from django.db.models import Sum  # noqa: PLC0415

    from production.calendar import PlantCalendar  # noqa: PLC0415
    from production.models import ProductionLine, WorkOrderLoad  # noqa: PLC0415

    over, off = 0, 0
    lines = {line.pk: line for line in ProductionLine.objects.select_related("plant")}
    calendars = {line.plant_id: PlantCalendar.for_plant(line.plant) for line in lines.values()}
    for row in WorkOrderLoad.objects.values("line_id", "day").annotate(units=Sum("units")):
        line = lines[row["line_id"]]
        over += row["units"] > line.units_per_day
        off += not calendars[line.plant_id].is_working(row["day"])
    last = WorkOrderLoad.objects.order_by("-day").values_list("day", flat=True).first()
    return {"days_over_capacity": over, "bookings_on_days_off": off, "last_booked_day": str(last)}


def create(count: int, built: list[tuple[int, str]]) -> dict:
    from django.db import connection  # noqa: PLC0415

    from production.services.scheduling import work_order_create  # noqa: PLC0415

    rng = random.Random(10)
    durations, queries = [], []
    started = time.perf_counter()
    for _ in range(count):
        product_id, family = rng.choice(built)
        quantity = rng.randint(1, 6) if family == "trucks" else rng.randint(50, 400)
        counter = Queries()
        t0 = time.perf_counter()
        with connection.execute_wrapper(counter):
            work_order_create(product_id=product_id, quantity=quantity)
        durations.append(time.perf_counter() - t0)
        queries.append(counter.count)
    total = time.perf_counter() - started
    durations.sort()
    return {
        "work_orders": count,
        "seconds": round(total, 1),
        "work_orders_per_second": round(count / total, 1),
        "p50_ms": round(statistics.median(durations) * 1000, 1),
        "p99_ms": round(durations[int(len(durations) * 0.99) - 1] * 1000, 1),
        "queries_median": int(statistics.median(queries)),
        "queries_max": max(queries),
    }


def resequence() -> dict:
    from django.db import connection  # noqa: PLC0415
    from django.db.models import Count  # noqa: PLC0415

    from production.models import WorkOrder  # noqa: PLC0415
    from production.services.scheduling import work_order_resequence  # noqa: PLC0415

    busiest = (
        WorkOrder.objects.filter(status="planned")
        .values("line_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    queue = list(
        WorkOrder.objects.filter(line_id=busiest["line_id"], status="planned").order_by("sequence", "pk")
    )
    first = queue[0]
    before = {wo.pk: wo.planned_finish for wo in queue}
    counter = Queries()
    t0 = time.perf_counter()
    with connection.execute_wrapper(counter):
        work_order_resequence(work_order_id=first.pk, position=len(queue))
    seconds = time.perf_counter() - t0
    moved = sum(
        1
        for pk, finish in WorkOrder.objects.filter(pk__in=before).values_list("pk", "planned_finish")
        if finish != before[pk]
    )
    return {
        "line_queue": len(queue),
        "seconds": round(seconds, 2),
        "queries": counter.count,
        "work_orders_with_new_dates": moved,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work-orders", type=int, default=2_000)
    parser.add_argument("--plants", type=int, default=3)
    parser.add_argument("--products", type=int, default=40)
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "production_schedule.md"))
    args = parser.parse_args()

    _ensure_database(os.environ["DATABASE_URL"])
    import django  # noqa: PLC0415

    django.setup()
    from django.core.management import call_command  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    machine = _machine()
    machine["load"] = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    print(f"Machine: {machine}", flush=True)
    _reset()
    data = seed(plants=args.plants, products=args.products)
    print(f"Data: {data}", flush=True)
    from inventory.models import Product  # noqa: PLC0415

    built = [
        (p.pk, p.category.code) for p in Product.objects.filter(made_to_order=True).select_related("category")
    ]
    created = create(args.work_orders, built)
    print(f"Created: {created}", flush=True)
    capacity = _check_capacity()
    print(f"Capacity: {capacity}", flush=True)
    moved = resequence()
    print(f"Re-sequenced: {moved}", flush=True)
    after = _check_capacity()
    print(f"Capacity after: {after}", flush=True)

    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(
        "# Production scheduling: work orders booked over plants (bench/production_schedule.py)\n\n"
        f"- Machine: {machine}\n"
        f"- Data: {data}\n\n"
        "| work orders | seconds | work orders/s | p50 ms | p99 ms | queries (median / max) |\n"
        "|---:|---:|---:|---:|---:|---:|\n"
        f"| {created['work_orders']:,} | {created['seconds']} | {created['work_orders_per_second']} "
        f"| {created['p50_ms']} | {created['p99_ms']} "
        f"| {created['queries_median']} / {created['queries_max']} |\n\n"
        f"Capacity check after scheduling: {capacity}\n\n"
        f"Re-sequencing the head of the busiest line to its back: {moved}\n\n"
        f"Capacity check after re-sequencing: {after}\n"
    )
    print(f"Wrote {args.output}")


if __name__ == "__main__":
    main()
