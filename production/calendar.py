"""A plant's working time: which days it works and how working days add up to moments.

The calendar is the plant's working weekdays (Plant.working_weekdays, ISO digits) with its exceptions
(PlantDay: holidays, and weekend days made working days, as Chinese plants do around the Spring
Festival). A working day runs `hours_per_day` hours from `day_starts_at`, in the site's time zone.
Durations are working days, fractions allowed (0.5 = half a shift). Pure arithmetic once built:
`PlantCalendar.for_plant` reads the plant's exceptions in one query, nothing else queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

from django.utils import timezone

# A calendar with no working day in this many days is a misconfiguration, not a long holiday.
MAX_SEARCH_DAYS = 3660


class CalendarError(ValueError):
    pass


class PlantCalendar:
    def __init__(
        self,
        *,
        weekdays: str = "12345",
        hours_per_day: int = 8,
        day_starts_at: dt.time = dt.time(8, 0),
        exceptions: dict[dt.date, bool] | None = None,
        tz=None,
    ):
        self.weekdays = frozenset(int(c) for c in weekdays)
        self.hours_per_day = int(hours_per_day)
        self.day_starts_at = day_starts_at
        self.exceptions = dict(exceptions or {})
        self.tz = tz or timezone.get_current_timezone()
        if not self.weekdays and not any(self.exceptions.values()):
            raise CalendarError("the calendar has no working day")

    @classmethod
    def for_plant(cls, plant) -> PlantCalendar:
        from production.models import PlantDay  # noqa: PLC0415  (models import this module's users)

        starts = plant.day_starts_at
        if isinstance(starts, str):
            starts = dt.time.fromisoformat(starts)
        return cls(
            weekdays=plant.working_weekdays,
            hours_per_day=plant.hours_per_day,
            day_starts_at=starts,
            exceptions=dict(PlantDay.objects.filter(plant_id=plant.pk).values_list("date", "is_working")),
        )

    # --- days ------------------------------------------------------------------------------------

    def is_working(self, day: dt.date) -> bool:
        if day in self.exceptions:
            return self.exceptions[day]
        return day.isoweekday() in self.weekdays

    def working_days_from(self, day: dt.date) -> Iterator[dt.date]:
        """The working days from `day` (included when it works) onwards."""
        idle = 0
        while True:
            if self.is_working(day):
                idle = 0
                yield day
            else:
                idle += 1
                if idle > MAX_SEARCH_DAYS:
                    raise CalendarError("no working day found")
            day += dt.timedelta(days=1)

    def next_working_day(self, day: dt.date) -> dt.date:
        """`day` if it works, else the first working day after it."""
        return next(self.working_days_from(day))

    # --- moments ---------------------------------------------------------------------------------

    def day_start(self, day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, self.day_starts_at), self.tz)

    def day_end(self, day: dt.date) -> dt.datetime:
        return self.day_start(day) + dt.timedelta(hours=self.hours_per_day)

    def align(self, moment: dt.datetime) -> dt.datetime:
        """The first working moment at or after `moment` (working time is [start, end) of working days)."""
        local = timezone.localtime(moment, self.tz)
        day = local.date()
        if self.is_working(day):
            if local < self.day_start(day):
                return self.day_start(day)
            if local < self.day_end(day):
                return local
        return self.day_start(self.next_working_day(day + dt.timedelta(days=1)))

    def add(self, moment: dt.datetime, days: Decimal | int | float) -> dt.datetime:
        """The moment `days` working days after `moment` (aligned to working time first).

        A duration that ends exactly at a day's end ends there, not at the next day's start.
        """
        remaining = dt.timedelta(hours=float(Decimal(str(days)) * self.hours_per_day))
        if remaining < dt.timedelta(0):
            raise CalendarError("durations are not negative")
        current = self.align(moment)
        while True:
            end = self.day_end(timezone.localtime(current, self.tz).date())
            if current + remaining <= end:
                return current + remaining
            remaining -= end - current
            current = self.align(end)

    def working_days_between(self, start: dt.datetime, end: dt.datetime) -> Decimal:
        """Working time from `start` to `end`, in working days (negative if `end` is earlier)."""
        if end < start:
            return -self.working_days_between(end, start)
        total = dt.timedelta(0)
        current = self.align(start)
        while current < end:
            day_end = self.day_end(timezone.localtime(current, self.tz).date())
            total += min(day_end, end) - current
            current = self.align(day_end)
        hours = Decimal(total.total_seconds()) / Decimal(3600)
        return (hours / self.hours_per_day).quantize(Decimal("0.01"))


def plan_stages(
    calendar: PlantCalendar,
    *,
    first_day: dt.date,
    last_day: dt.date,
    durations: list[Decimal],
    not_before: dt.datetime | None = None,
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Planned (start, finish) of each routing stage for a work order whose units enter the line on
    working days `first_day` … `last_day` (its capacity bookings).

    Units flow through the stages in order: a stage starts when the first units reach it (the earlier
    stages' standard durations after the first day's start) and finishes when the last units leave it
    (the same offset from the last day's start, plus its own duration). The work order's planned
    completion is the last stage's finish. `not_before` (now, when planning): a first day that is
    today starts no earlier than that moment.
    """
    first, last = calendar.day_start(first_day), calendar.day_start(last_day)
    if not_before is not None and timezone.localtime(not_before, calendar.tz).date() == first_day:
        # Booked from today, planned now: the part of today's shift already gone is not planned on.
        first = max(first, calendar.align(not_before))
        last = max(last, first)
    plans, offset = [], Decimal("0")
    for days in durations:
        days = Decimal(str(days))
        # A stage starts at a working moment (not at the end of the day the previous one filled).
        plans.append((calendar.align(calendar.add(first, offset)), calendar.add(last, offset + days)))
        offset += days
    return plans
