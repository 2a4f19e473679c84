"""The plant calendar: working days, holidays, make-up days, and working time arithmetic."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from production.calendar import CalendarError, PlantCalendar, plan_stages

MON = dt.date(2026, 11, 30)  # a Monday


def _cal(**kwargs):
    return PlantCalendar(**kwargs)


def _at(day, hour, minute=0):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def test_weekends_do_not_work_but_a_make_up_saturday_does_and_a_holiday_does_not():
    cal = _cal(exceptions={MON: False, MON + dt.timedelta(days=5): True})

    assert not cal.is_working(MON)
    assert cal.is_working(MON + dt.timedelta(days=1))
    assert cal.is_working(MON + dt.timedelta(days=5))
    assert not cal.is_working(MON + dt.timedelta(days=6))


def test_adding_a_day_and_a_half_skips_the_weekend():
    cal = _cal()
    friday = MON + dt.timedelta(days=4)

    assert cal.add(cal.day_start(friday), Decimal("1.5")) == _at(MON + dt.timedelta(days=7), 12)


def test_a_full_day_ends_at_that_days_end_not_the_next_start():
    cal = _cal()

    assert cal.add(cal.day_start(MON), 1) == _at(MON, 16)


def test_a_moment_after_hours_counts_from_the_next_working_morning():
    cal = _cal()

    assert cal.align(_at(MON, 20)) == _at(MON + dt.timedelta(days=1), 8)
    assert cal.add(_at(MON, 20), Decimal("0.5")) == _at(MON + dt.timedelta(days=1), 12)


def test_working_days_between_counts_only_working_hours():
    cal = _cal()

    assert cal.working_days_between(_at(MON, 12), _at(MON + dt.timedelta(days=7), 12)) == Decimal("5.00")
    assert cal.working_days_between(_at(MON + dt.timedelta(days=1), 8), _at(MON, 8)) == Decimal("-1.00")


def test_a_calendar_without_working_days_is_refused():
    with pytest.raises(CalendarError):
        _cal(weekdays="")
    with pytest.raises(CalendarError):
        next(
            _cal(
                weekdays="1", exceptions={MON + dt.timedelta(weeks=w): False for w in range(600)}
            ).working_days_from(MON)
        )


def test_stages_flow_from_the_first_days_start_to_the_last_days_units():
    cal = _cal()

    plans = plan_stages(
        cal, first_day=MON, last_day=MON + dt.timedelta(days=1), durations=[1, Decimal("0.5")]
    )

    assert plans == [
        (_at(MON, 8), _at(MON + dt.timedelta(days=1), 16)),
        (_at(MON + dt.timedelta(days=1), 8), _at(MON + dt.timedelta(days=2), 12)),
    ]


def test_a_plan_made_during_todays_shift_starts_now_not_at_the_shifts_start():
    cal = _cal()

    plans = plan_stages(cal, first_day=MON, last_day=MON, durations=[1], not_before=_at(MON, 10))
    earlier_day = plan_stages(
        cal, first_day=MON, last_day=MON, durations=[1], not_before=_at(MON - dt.timedelta(days=3), 10)
    )

    assert plans == [(_at(MON, 10), _at(MON + dt.timedelta(days=1), 10))]
    assert earlier_day == [(_at(MON, 8), _at(MON, 16))]
