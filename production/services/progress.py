"""Stage progress of work orders: a stage starts, a stage finishes, the estimate follows.

The admin, the plant supervisor's portal pages and the shop-floor terminals (production.api) all
record progress through `stage_start` and `stage_finish`. Stages go in routing order, one at a time:
a stage starts once the one before it has finished. The first start reserves the work order's
materials (production.services.materials: a short work order cannot start) and moves it to in
progress; the last finish completes it (production.services.completion: batch, stock, done).

Each update stamps the stage, writes where the work order stands (current stage, progress, estimated
completion from production.planning), its timeline entry and event, and, for a customer's work
order, the order line's summary with a timeline step told in words (orders.services), which also
announces a moved estimate (`order.eta_changed`). Recording what is already recorded changes
nothing, so a terminal or a double click may repeat itself.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import events
from core.errors import Conflict, NotFound, ValidationFailed
from core.lifecycle import transition
from orders.services import order_line_production_update
from production import planning
from production.calendar import PlantCalendar
from production.locks import work_order_for_update
from production.models import WorkOrder, WorkOrderEvent, WorkOrderStage
from production.services.completion import work_order_complete
from production.services.materials import work_order_materials_reserve
from production.states import LIFECYCLE, StageStatus, WorkOrderEventKind, WorkOrderStatus

K = WorkOrderEventKind


class StageNotFound(NotFound):
    code = "stage_not_found"
    default_message = _("This work order has no such stage.")


class StageOutOfOrder(Conflict):
    code = "stage_out_of_order"
    default_message = _("The stages of a work order are recorded in their routing order.")


class StageNotStarted(Conflict):
    code = "stage_not_started"
    default_message = _("This stage has not started; start it before finishing it.")


class WorkOrderClosed(Conflict):
    code = "work_order_closed"
    default_message = _("This work order is closed; its stages can no longer be recorded.")


def stage_start(
    *,
    work_order_id: int,
    stage_code: str,
    actor=None,
    at: dt.datetime | None = None,
    source: str = "admin",
) -> WorkOrder:
    """Record that stage `stage_code` of the work order started `at` (default now).

    Preconditions: the work order is planned or in progress and every earlier stage has finished.
    The first stage of a planned work order first reserves its materials, then moves it to in
    progress through the lifecycle. Starting a stage that already started (or finished) returns the
    work order unchanged. Side effects: the stage's start stamp, the work order's current stage,
    progress and estimate, a `work_order.stage_started` timeline entry and event, and for a
    customer's work order the line's summary and a "<stage> started" step on the order's timeline.
    Raises NotFound / StageNotFound (404), StageOutOfOrder, WorkOrderClosed (409), MaterialsShort
    (409, nothing started) and the lifecycle's errors.
    """
    at = at or timezone.now()
    with transaction.atomic():
        work_order, stages, stage = _locked(work_order_id, stage_code)
        if stage.status != StageStatus.PENDING:
            return work_order
        _check_open(work_order)
        waiting = [s for s in stages if s.position < stage.position and s.status != StageStatus.DONE]
        if waiting:
            raise StageOutOfOrder(
                _("%(stage)s cannot start before %(previous)s has finished.")
                % {"stage": stage.name, "previous": waiting[0].name},
                extra={"work_order": work_order.number, "stage": stage.code, "waiting_for": waiting[0].code},
            )
        if work_order.status == WorkOrderStatus.PLANNED:
            work_order_materials_reserve(work_order_id=work_order.pk, actor=actor)
            work_order, _changed = transition(
                LIFECYCLE, work_order.pk, WorkOrderStatus.IN_PROGRESS, actor=actor, locked=work_order
            )
        stage.status, stage.started_at = StageStatus.STARTED, at
        stage.started_by = actor if getattr(actor, "pk", None) else None
        stage.save(update_fields=["status", "started_at", "started_by"])
        _record(work_order, stages, stage, kind=K.STAGE_STARTED, at=at, actor=actor, source=source)
        return work_order


def stage_finish(
    *,
    work_order_id: int,
    stage_code: str,
    actor=None,
    at: dt.datetime | None = None,
    source: str = "admin",
    serials: list[str] | None = None,
) -> WorkOrder:
    """Record that stage `stage_code` of the work order finished `at` (default now; never before it
    started). `serials`: the finished units' serial numbers, given with the last stage only.

    Finishing a stage that already finished returns the work order unchanged. Side effects: as
    `stage_start` (`work_order.stage_finished`, "<stage> finished"); the last stage's finish then
    completes the work order (production.services.completion.work_order_complete: batch, stock,
    done). Raises NotFound / StageNotFound (404), StageNotStarted, WorkOrderClosed (409),
    ValidationFailed (serials on a stage that is not the last) and completion's errors.
    """
    at = at or timezone.now()
    with transaction.atomic():
        work_order, stages, stage = _locked(work_order_id, stage_code)
        if stage.status == StageStatus.DONE:
            return work_order
        _check_open(work_order)
        last = stage.position == stages[-1].position
        if serials and not last:
            raise ValidationFailed(
                fields={"serials": [_("Serial numbers are given when the last stage finishes.")]}
            )
        if stage.status != StageStatus.STARTED:
            raise StageNotStarted(
                _("%(stage)s has not started; start it before finishing it.") % {"stage": stage.name},
                extra={"work_order": work_order.number, "stage": stage.code},
            )
        stage.status, stage.finished_at = StageStatus.DONE, max(at, stage.started_at or at)
        stage.finished_by = actor if getattr(actor, "pk", None) else None
        stage.save(update_fields=["status", "finished_at", "finished_by"])
        _record(
            work_order, stages, stage, kind=K.STAGE_FINISHED, at=stage.finished_at, actor=actor, source=source
        )
        if last:
            work_order = work_order_complete(work_order_id=work_order.pk, actor=actor, serials=serials)
        return work_order


def work_order_eta_refresh(*, work_order_id: int, actor=None) -> WorkOrder:
    """Recompute the work order's estimated completion from its stages now, and write it down (with
    the order line's summary, which announces a moved date to the order's readers).

    Side effects when the estimate moved: the work order's `eta`, a `work_order.eta_changed` timeline
    entry. Raises NotFound.
    """
    with transaction.atomic():
        work_order = _lock(work_order_id)
        stages = list(WorkOrderStage.objects.filter(work_order_id=work_order.pk).order_by("position"))
        previous = work_order.eta
        eta = planning.eta_for(work_order, stages, _calendar(work_order), timezone.now())
        # Estimates are told to the minute: a recomputation seconds later is not a change.
        if _minute(eta) != _minute(previous):
            work_order.eta = eta
            work_order.save(update_fields=["eta", "updated_at"])
            WorkOrderEvent.record(
                work_order=work_order,
                kind=K.ETA_CHANGED,
                actor=actor,
                data={"eta": _iso(eta), "previous_eta": _iso(previous)},
            )
        if work_order.order_line_id:
            order_line_production_update(
                line_id=work_order.order_line_id,
                stage=work_order.stage,
                progress=work_order.progress_percent,
                eta=_local_date(eta),
                actor=actor,
            )
        return work_order


# --- internals -------------------------------------------------------------------------------------


def _lock(work_order_id: int) -> WorkOrder:
    # The work order's row lock orders every progress writer of it (then the order's, in orders).
    return work_order_for_update(
        work_order_id, missing=NotFound(_("No such work order."), code="work_order_not_found")
    )


def _locked(work_order_id: int, stage_code: str) -> tuple[WorkOrder, list[WorkOrderStage], WorkOrderStage]:
    work_order = _lock(work_order_id)
    stages = list(WorkOrderStage.objects.filter(work_order_id=work_order.pk).order_by("position"))
    stage = next((s for s in stages if s.code == stage_code), None)
    if stage is None:
        raise StageNotFound(
            _("Work order %(number)s has no stage “%(stage)s”; its stages are: %(stages)s.")
            % {
                "number": work_order.number,
                "stage": stage_code,
                "stages": ", ".join(s.code for s in stages) or "—",
            },
            extra={"work_order": work_order.number, "stage": stage_code},
        )
    return work_order, stages, stage


def _check_open(work_order: WorkOrder) -> None:
    if work_order.status not in (WorkOrderStatus.PLANNED, WorkOrderStatus.IN_PROGRESS):
        raise WorkOrderClosed(
            _("Work order %(number)s is “%(status)s”; its stages can no longer be recorded.")
            % {"number": work_order.number, "status": work_order.get_status_display()},
            extra={"work_order": work_order.number, "status": work_order.status},
        )


def _calendar(work_order: WorkOrder) -> PlantCalendar:
    return PlantCalendar.for_plant(work_order.plant)


def _record(
    work_order: WorkOrder,
    stages: list[WorkOrderStage],
    stage: WorkOrderStage,
    *,
    kind: str,
    at: dt.datetime,
    actor,
    source: str,
) -> None:
    """Write where the work order stands after `stage` moved, and tell it (timeline, event, order)."""
    previous_eta = work_order.eta
    work_order.stage = _current_stage_name(stages)
    work_order.progress_percent = planning.progress_percent(stages)
    work_order.eta = planning.eta_for(work_order, stages, _calendar(work_order), timezone.now())
    work_order.version += 1
    work_order.save(update_fields=["stage", "progress_percent", "eta", "version", "updated_at"])
    data = {
        "stage": stage.code,
        "stage_name": stage.name,
        "at": at.isoformat(),
        "source": source,
        "progress": work_order.progress_percent,
        "eta": _iso(work_order.eta),
    }
    if previous_eta != work_order.eta:
        data["previous_eta"] = _iso(previous_eta)
    WorkOrderEvent.record(work_order=work_order, kind=kind, actor=actor, data=data)
    events.emit(
        str(kind),
        work_order_id=work_order.pk,
        number=work_order.number,
        order_id=work_order.order_id,
        order_line_id=work_order.order_line_id,
        plant_id=work_order.plant_id,
        stage=stage.code,
        stage_name=stage.name,
        at=at,
        progress=work_order.progress_percent,
        eta=work_order.eta,
    )
    if work_order.order_line_id:
        step = "stage_started" if kind == K.STAGE_STARTED else "stage_finished"
        order_line_production_update(
            line_id=work_order.order_line_id,
            stage=work_order.stage,
            progress=work_order.progress_percent,
            eta=_local_date(work_order.eta),
            step={"event": step, "stage": stage.name, "work_order": work_order.number},
            actor=actor,
        )


def _current_stage_name(stages: list[WorkOrderStage]) -> str:
    """The stage in progress, else the last finished one (between stages, or all done)."""
    started = [s for s in stages if s.status == StageStatus.STARTED]
    if started:
        return started[-1].name
    done = [s for s in stages if s.status == StageStatus.DONE]
    return done[-1].name if done else ""


def _local_date(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(moment) if moment is not None else None


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def stage_record(
    *,
    work_order_id: int,
    stage_code: str,
    action: str,
    actor=None,
    at: dt.datetime | None = None,
    source: str = "admin",
    serials: list[str] | None = None,
) -> WorkOrder:
    """A stage start or finish as an interface reports it (`action` "start" or "finish"): the admin's
    and the portal's forms and the shop-floor terminals all come through here. `serials` go with a
    finish only. See stage_start and stage_finish for what each does and raises."""
    if action == "start":
        return stage_start(
            work_order_id=work_order_id, stage_code=stage_code, actor=actor, at=at, source=source
        )
    return stage_finish(
        work_order_id=work_order_id, stage_code=stage_code, actor=actor, at=at, source=source, serials=serials
    )


def _minute(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.replace(second=0, microsecond=0) if moment else None
