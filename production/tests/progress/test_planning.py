"""ETA from progress (production.planning.eta_for): pure, with a PlantCalendar built here."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

from django.utils import timezone

from production.calendar import PlantCalendar
from production.planning import eta_for, progress_percent
from production.states import StageStatus, WorkOrderStatus

MON = dt.date(2026, 11, 30)  # a Monday
CAL = PlantCalendar()  # Monday to Friday, 08:00–16:00


def _at(day, hour, minute=0):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _day(n):
    return MON + dt.timedelta(days=n)


def _stage(position, days, status=StageStatus.PENDING, started_at=None, finished_at=None):
    return SimpleNamespace(
        position=position,
        standard_days=Decimal(days),
        status=status,
        started_at=started_at,
        finished_at=finished_at,
    )


def _wo(status=WorkOrderStatus.IN_PROGRESS, **kwargs):
    fields = {"planned_start": None, "planned_finish": None, "done_at": None, "eta": None, **kwargs}
    return SimpleNamespace(status=status, **fields)


def test_a_done_work_order_is_expected_when_it_was_done():
    done_at = _at(MON, 11)

    eta = eta_for(_wo(WorkOrderStatus.DONE, done_at=done_at), [], CAL, _at(_day(3), 9))

    assert eta == done_at


def test_a_stage_in_progress_finishes_its_standard_duration_after_it_started():
    stages = [_stage(1, "1", StageStatus.STARTED, started_at=_at(MON, 8))]

    assert eta_for(_wo(), stages, CAL, _at(MON, 9)) == _at(MON, 16)


def test_a_stage_running_late_is_expected_now_not_in_the_past():
    stages = [_stage(1, "1", StageStatus.STARTED, started_at=_at(MON, 8))]
    now = _at(_day(2), 10)

    assert eta_for(_wo(), stages, CAL, now) == now


def test_following_stages_follow_one_another_on_working_time_over_the_weekend():
    friday = _day(4)
    stages = [
        _stage(1, "1", StageStatus.DONE, started_at=_at(_day(3), 8), finished_at=_at(_day(3), 16)),
        _stage(2, "0.5", StageStatus.STARTED, started_at=_at(friday, 8)),
        _stage(3, "1", StageStatus.PENDING),
        _stage(4, "0.5"),
    ]

    eta = eta_for(_wo(), list(reversed(stages)), CAL, _at(friday, 9))

    # painting ends Friday 12:00; assembly a full day to Monday 12:00; inspection half a day to 16:00.
    assert eta == _at(_day(7), 16)


def test_between_stages_the_next_one_counts_from_now():
    stages = [
        _stage(1, "1", StageStatus.DONE, started_at=_at(MON, 8), finished_at=_at(MON, 16)),
        _stage(2, "0.5"),
    ]

    assert eta_for(_wo(), stages, CAL, _at(_day(1), 10)) == _at(_day(1), 14)


def test_a_planned_work_order_not_started_keeps_its_planned_finish():
    planned = _wo(WorkOrderStatus.PLANNED, planned_start=_at(_day(7), 8), planned_finish=_at(_day(9), 12))

    assert eta_for(planned, [_stage(1, "1"), _stage(2, "1")], CAL, _at(MON, 9)) == _at(_day(9), 12)


def test_a_planned_work_order_whose_start_has_passed_is_expected_after_all_its_durations_from_now():
    planned = _wo(WorkOrderStatus.PLANNED, planned_start=_at(MON, 8), planned_finish=_at(MON, 16))

    eta = eta_for(planned, [_stage(1, "1"), _stage(2, "0.5")], CAL, _at(_day(1), 8))

    assert eta == _at(_day(2), 12)


def test_progress_counts_finished_standard_days():
    stages = [_stage(1, "1", StageStatus.DONE), _stage(2, "1", StageStatus.STARTED), _stage(3, "2")]

    assert progress_percent(stages) == 25
