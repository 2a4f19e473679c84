"""The schedule of a plant, for the production scheduler's screen: each line's load against its
capacity per day, and the open work orders against the same days (a Gantt-style table).

A fixed number of queries whatever the number of lines and work orders (pinned by the tests).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from production.calendar import PlantCalendar
from production.models import Plant, PlantDay, ProductionLine, WorkOrder, WorkOrderLoad
from production.states import OPEN

DEFAULT_WORKING_DAYS = 14


@dataclass(frozen=True)
class Day:
    date: dt.date
    working: bool
    name: str = ""  # the calendar day's name (a holiday, a make-up day)


@dataclass(frozen=True)
class LoadCell:
    day: Day
    booked: int
    capacity: int

    @property
    def full(self) -> bool:
        return self.day.working and self.booked >= self.capacity

    @property
    def percent(self) -> int:
        return round(100 * self.booked / self.capacity) if self.capacity else 0


@dataclass
class LineRow:
    line: ProductionLine
    cells: list[LoadCell] = field(default_factory=list)


@dataclass(frozen=True)
class GanttCell:
    day: Day
    units: int  # booked on that day
    planned: bool  # within the planned start … completion (stages still running after the last load)


@dataclass
class GanttRow:
    work_order: WorkOrder
    cells: list[GanttCell] = field(default_factory=list)


@dataclass
class PlantSchedule:
    plant: Plant
    start: dt.date
    days: list[Day]
    lines: list[LineRow]
    work_orders: list[GanttRow]

    @property
    def end(self) -> dt.date:
        return self.days[-1].date


def schedule_plants():
    """The plants the schedule screen offers (active ones, by code)."""
    return Plant.objects.filter(is_active=True).order_by("code")


def plant_schedule(
    *, plant_id: int, start: dt.date | None = None, working_days: int = DEFAULT_WORKING_DAYS
) -> PlantSchedule | None:
    """The plant's schedule from `start` (default today) over its next `working_days` working days,
    the non-working days between them included (shown greyed). None: no such plant. Five queries."""
    plant = Plant.objects.filter(pk=plant_id).select_related("warehouse").first()
    if plant is None:
        return None
    start = start or timezone.localdate()
    exceptions = {
        row.date: row for row in PlantDay.objects.filter(plant_id=plant.pk, date__gte=start).order_by("date")
    }
    calendar = PlantCalendar(
        weekdays=plant.working_weekdays,
        hours_per_day=plant.hours_per_day,
        day_starts_at=plant.day_starts_at,
        exceptions={day: row.is_working for day, row in exceptions.items()},
    )
    days: list[Day] = []
    day, working = start, 0
    while working < max(1, working_days):
        is_working = calendar.is_working(day)
        days.append(Day(day, is_working, exceptions[day].name if day in exceptions else ""))
        working += is_working
        day += dt.timedelta(days=1)
    end = days[-1].date

    lines = list(ProductionLine.objects.filter(plant_id=plant.pk).select_related("family").order_by("code"))
    loads = list(
        WorkOrderLoad.objects.filter(line__plant_id=plant.pk, day__gte=start, day__lte=end).values_list(
            "work_order_id", "line_id", "day", "units"
        )
    )
    per_line: dict[int, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    per_work_order: dict[int, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    for work_order_id, line_id, day, units in loads:
        per_line[line_id][day] += units
        per_work_order[work_order_id][day] += units
    line_rows = [
        LineRow(line, [LoadCell(d, per_line[line.pk][d.date], line.units_per_day) for d in days])
        for line in lines
    ]

    starts_before = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))
    ends_after = timezone.make_aware(dt.datetime.combine(start, dt.time()))
    work_orders = (
        WorkOrder.objects.filter(plant_id=plant.pk, status__in=OPEN)
        .filter(planned_start__lt=starts_before, planned_finish__gte=ends_after)
        .select_related("line", "product", "order")
        .order_by("line__code", "sequence", "pk")
    )
    gantt = []
    for work_order in work_orders:
        first = timezone.localdate(work_order.planned_start)
        last = timezone.localdate(work_order.planned_finish)
        booked = per_work_order.get(work_order.pk, {})
        gantt.append(
            GanttRow(
                work_order,
                [GanttCell(d, booked.get(d.date, 0), d.working and first <= d.date <= last) for d in days],
            )
        )
    return PlantSchedule(plant=plant, start=start, days=days, lines=line_rows, work_orders=gantt)
