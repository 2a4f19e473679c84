import datetime as dt

import pytest

from production.services import scheduling
from production.tests.factories import make_production_setup, next_monday


@pytest.fixture
def monday():
    """A Monday two weeks or more ahead, and the schedule's 'today' moved there."""
    return next_monday()


@pytest.fixture
def today(monkeypatch, monday):
    """Move the schedule's today (the first bookable day): today.set(date)."""

    class Today:
        value = monday

        def set(self, day: dt.date) -> None:
            self.value = day

    holder = Today()
    monkeypatch.setattr(scheduling, "_today", lambda: holder.value)
    return holder


@pytest.fixture
def setup(db, today):
    """(family, plant, line, stages, product): one line of 4 units a day, Monday to Friday."""
    return make_production_setup(units_per_day=4)


def day(monday: dt.date, offset: int) -> dt.date:
    return monday + dt.timedelta(days=offset)


def loads_of(work_order) -> list[tuple[dt.date, int]]:
    return list(work_order.loads.order_by("day").values_list("day", "units"))
