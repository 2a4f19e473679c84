"""When a work order will be done, from where its stages stand: pure functions, no queries.

The services (production.services.progress) read the work order, its stages and the plant's calendar
and hand them here; the answer depends only on those and on `now`, so it is tested with a
PlantCalendar built in the test.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from production.calendar import PlantCalendar
from production.states import StageStatus, WorkOrderStatus

HUNDRED = Decimal(100)


def eta_for(work_order, stages: Sequence, calendar: PlantCalendar, now: dt.datetime) -> dt.datetime | None:
    """The expected completion of `work_order` given its `stages` (any order) as recorded.

    - a done work order: its done time;
    - a cancelled one: what it said last (it will not complete);
    - a planned one nothing has started on: its planned completion, unless its planned start has
      passed (then now + every stage's standard duration) or it has no plan (the same);
    - otherwise stages follow one another: a finished stage is history; the stage in progress is
      expected to finish at max(now, its start + its standard duration on the calendar); each stage
      still pending starts when the one before is expected to finish (not before now) and takes its
      standard duration. A work order whose stages are all finished but that is not done yet (its
      completion is being recorded) is expected now.
    """
    if work_order.status == WorkOrderStatus.DONE:
        return work_order.done_at or _last_finish(stages) or now
    if work_order.status == WorkOrderStatus.CANCELLED:
        return work_order.eta
    ordered = sorted(stages, key=lambda s: s.position)
    untouched = all(s.status == StageStatus.PENDING for s in ordered)
    if untouched:
        planned_start, planned_finish = work_order.planned_start, work_order.planned_finish
        if planned_finish is not None and planned_start is not None and planned_start >= now:
            return planned_finish
        if planned_finish is not None and planned_start is None and planned_finish >= now:
            return planned_finish
        return calendar.add(now, sum((Decimal(s.standard_days) for s in ordered), Decimal(0)))
    cursor = now
    for stage in ordered:
        if stage.status == StageStatus.DONE:
            continue
        if stage.status == StageStatus.STARTED:
            started = stage.started_at or now
            cursor = max(cursor, calendar.add(started, Decimal(stage.standard_days)))
        else:
            cursor = calendar.add(max(cursor, now), Decimal(stage.standard_days))
    return cursor


def progress_percent(stages: Sequence) -> int:
    """Finished standard days over all standard days, as a whole percentage (rounded down)."""
    total = sum((Decimal(s.standard_days) for s in stages), Decimal(0))
    if total <= 0:
        return 0
    done = sum((Decimal(s.standard_days) for s in stages if s.status == StageStatus.DONE), Decimal(0))
    return min(100, int(done * HUNDRED / total))


def _last_finish(stages: Sequence) -> dt.datetime | None:
    finishes = [s.finished_at for s in stages if s.finished_at is not None]
    return max(finishes) if finishes else None
