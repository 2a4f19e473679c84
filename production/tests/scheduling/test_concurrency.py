"""Work orders created at the same moment never book the same free units (PostgreSQL row locks)."""

import threading

import pytest
from django.db import connection
from django.db.models import Sum

from production.models import WorkOrder, WorkOrderLoad
from production.services.scheduling import work_order_create
from production.tests.factories import make_production_setup

THREADS = 6
PER_THREAD = 4


@pytest.mark.postgres
def test_concurrent_creators_never_overbook_a_lines_day(transactional_db, today):
    # given a family built on two lines of two plants, 3 and 2 units a day
    family, _plant, line_a, _stages, product = make_production_setup(units_per_day=3)
    _f, _p, line_b, _s, _x = make_production_setup(family=family, units_per_day=2)
    barrier = threading.Barrier(THREADS)
    errors: list[Exception] = []

    def create(seed: int) -> None:
        try:
            barrier.wait(timeout=10)
            for i in range(PER_THREAD):
                work_order_create(product_id=product.pk, quantity=1 + (seed + i) % 3)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    # when six threads create four work orders each at the same time
    threads = [threading.Thread(target=create, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # then every unit is booked once, and no line's day holds more than its capacity
    assert errors == []
    ordered = WorkOrder.objects.aggregate(n=Sum("quantity"))["n"]
    assert WorkOrder.objects.count() == THREADS * PER_THREAD
    assert WorkOrderLoad.objects.aggregate(n=Sum("units"))["n"] == ordered
    capacity = {line_a.pk: 3, line_b.pk: 2}
    per_day = WorkOrderLoad.objects.values("line_id", "day").annotate(units=Sum("units"))
    assert all(row["units"] <= capacity[row["line_id"]] for row in per_day)
    numbers = list(WorkOrder.objects.values_list("number", flat=True))
    assert len(set(numbers)) == len(numbers)
