"""How fast the allocation planner decides (inventory/allocation.py), no database involved.

    .venv/bin/python bench/allocation_plan.py [--lines 200] [--warehouses 10] [--repeat 50]

Prints the machine, the sizes, and the median and worst time per plan for five seeded scenarios:
one warehouse has everything; each product in one or two warehouses (several needed, most of them
forced); each product whole in three warehouses (a hitting set: the exact search has real
choices); some products short (reserve and backorder); and that hitting set over
EXACT_COVER_LIMIT warehouses, the exact search at its bound. Only meaningful on an otherwise idle machine.
"""

import argparse
import os
import platform
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inventory.allocation import (  # noqa: E402
    EXACT_COVER_LIMIT,
    Destination,
    Line,
    Warehouse,
    plan_allocation,
)

HANGZHOU = Destination(Decimal("30.2741"), Decimal("120.1551"))


def _machine() -> str:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def _warehouses(rng, n):
    return [
        Warehouse(
            i,
            f"W{i:02d}",
            Decimal(str(round(rng.uniform(20, 45), 4))),
            Decimal(str(round(rng.uniform(100, 125), 4))),
        )
        for i in range(1, n + 1)
    ]


def _scenario(name, rng, n_lines, n_warehouses):
    warehouses = _warehouses(rng, n_warehouses)
    lines = [Line(i, 1000 + i, rng.randint(1, 20)) for i in range(1, n_lines + 1)]
    stock = {}
    ids = [w.id for w in warehouses]
    if name == "single":
        hub = rng.choice(ids)
        for line in lines:
            stock[(line.product_id, hub)] = line.quantity + rng.randint(0, 5)
            for w in rng.sample(ids, 3):
                stock.setdefault((line.product_id, w), rng.randint(0, line.quantity))
    elif name == "split":
        # Each product lives in one or two warehouses only, so the cover needs several.
        for line in lines:
            for w in rng.sample(ids, rng.choice((1, 2))):
                stock[(line.product_id, w)] = line.quantity + rng.randint(0, 3)
    elif name in ("hitting-set", "exact-bound"):
        # Each product whole in three of the warehouses: the fewest that touch every product.
        for line in lines:
            for w in rng.sample(ids, 3):
                stock[(line.product_id, w)] = line.quantity
    elif name == "short":
        for line in lines:
            for w in rng.sample(ids, 2):
                stock[(line.product_id, w)] = rng.randint(0, line.quantity)
    return {"lines": lines, "stock": stock, "warehouses": warehouses, "destination": HANGZHOU}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=200)
    parser.add_argument("--warehouses", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()

    print(f"Machine: {_machine()}")
    print(
        f"Sizes: {args.lines} lines, {args.warehouses} warehouses, {args.repeat} runs each, seed {args.seed}"
    )
    print(f"{'scenario':<12} {'warehouses':>10} {'used':>5} {'reason':<26} {'median ms':>10} {'worst ms':>9}")
    for name in ("single", "split", "hitting-set", "short", "exact-bound"):
        rng = random.Random(args.seed)
        n = EXACT_COVER_LIMIT if name == "exact-bound" else args.warehouses
        order = _scenario(name, rng, args.lines, n)
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            plan = plan_allocation(**order)
            times.append((time.perf_counter() - start) * 1000)
        print(
            f"{name:<12} {n:>10} {len(plan.warehouse_ids):>5} {plan.reason!s:<26} "
            f"{statistics.median(times):>10.2f} {max(times):>9.2f}"
        )


if __name__ == "__main__":
    main()
