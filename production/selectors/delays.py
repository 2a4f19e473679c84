"""Which work orders the delay sweep (production.services.delays) has something to do for.

A delay is identified by its key (`Delay.key`): a stage running past its planned finish
("stage_overrun:<stage code>"), an estimate past the promised date ("eta_past_promise:<promised
date>"), a planned start that passed without a start ("not_started:<planned start date>"). The sweep
records each delay once, as a `work_order.delayed` timeline entry carrying its key; that entry is
the database's memory of "told already", so the selection below excludes what was told and the
sweep can run every few minutes forever. A work order is due when

- one of its current delays has no entry yet (a new delay: tell it), or
- it is late but `delayed_since` is empty (late again after a recovery: mark it, tell nothing new), or
- `delayed_since` is set but it is no longer late (a recovery: clear it, tell nobody).

Dates are plant-local (the current time zone), as timezone.localdate() gives them in Python.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import BooleanField, Case, CharField, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Concat, TruncDate
from django.utils import timezone

from production.models import WorkOrder, WorkOrderEvent, WorkOrderStage
from production.states import OPEN, WorkOrderEventKind, WorkOrderStatus

STAGE_OVERRUN = "stage_overrun"
ETA_PAST_PROMISE = "eta_past_promise"
NOT_STARTED = "not_started"
REASONS = (STAGE_OVERRUN, ETA_PAST_PROMISE, NOT_STARTED)


@dataclass(frozen=True)
class Delay:
    """One reason a work order is late now."""

    reason: str
    key: str
    stage_code: str = ""
    stage: str = ""
    planned: dt.datetime | None = None


def delay_grace() -> dt.timedelta:
    """How long past a planned start or finish before it counts as late (PRODUCTION_DELAY_GRACE_MINUTES)."""
    return dt.timedelta(minutes=settings.PRODUCTION_DELAY_GRACE_MINUTES)


def work_order_delays(work_order: WorkOrder, stages, *, now: dt.datetime) -> list[Delay]:
    """The work order's delays at `now`, from its row and its stages (in position order); pure.

    The same rules as `work_orders_delay_due`, in Python, for the row the sweep has locked."""
    if work_order.status not in OPEN:
        return []
    cutoff = now - delay_grace()
    delays = []
    for stage in stages:
        if (
            stage.started_at is not None
            and stage.finished_at is None
            and stage.planned_finish is not None
            and stage.planned_finish < cutoff
        ):
            delays.append(
                Delay(
                    STAGE_OVERRUN,
                    f"{STAGE_OVERRUN}:{stage.code}",
                    stage_code=stage.code,
                    stage=stage.name,
                    planned=stage.planned_finish,
                )
            )
    if (
        work_order.status == WorkOrderStatus.PLANNED
        and work_order.started_at is None
        and work_order.planned_start is not None
        and work_order.planned_start < cutoff
    ):
        first = stages[0] if stages else None
        delays.append(
            Delay(
                NOT_STARTED,
                f"{NOT_STARTED}:{timezone.localdate(work_order.planned_start).isoformat()}",
                stage_code=first.code if first else "",
                stage=first.name if first else "",
                planned=work_order.planned_start,
            )
        )
    if (
        work_order.eta is not None
        and work_order.promised_date is not None
        and timezone.localdate(work_order.eta) > work_order.promised_date
    ):
        delays.append(
            Delay(
                ETA_PAST_PROMISE,
                f"{ETA_PAST_PROMISE}:{work_order.promised_date.isoformat()}",
                planned=work_order.planned_finish,
            )
        )
    return delays


# The key as plain text: a JSON key lookup would read the right-hand side as JSON too (SQLite).
_KEY = Cast(KT("data__key"), CharField())


def work_orders_delay_due(*, now: dt.datetime | None = None) -> QuerySet[WorkOrder]:
    """Open work orders the delay sweep has something to do for (see the module), by primary key."""
    now = now or timezone.now()
    cutoff = now - delay_grace()
    late_stages = WorkOrderStage.objects.filter(
        work_order_id=OuterRef("pk"),
        started_at__isnull=False,
        finished_at__isnull=True,
        planned_finish__lt=cutoff,
    )
    stage_told = Exists(
        WorkOrderEvent.objects.filter(kind=WorkOrderEventKind.DELAYED)
        .annotate(delay_key=_KEY)
        .filter(
            work_order_id=OuterRef("work_order_id"),
            delay_key=Concat(Value(f"{STAGE_OVERRUN}:"), OuterRef("code"), output_field=CharField()),
        )
    )
    recorded = WorkOrderEvent.objects.filter(
        kind=WorkOrderEventKind.DELAYED, work_order_id=OuterRef("pk")
    ).annotate(delay_key=_KEY)
    eta_told = Exists(
        recorded.filter(
            delay_key=Concat(
                Value(f"{ETA_PAST_PROMISE}:"),
                Cast(OuterRef("promised_date"), CharField()),
                output_field=CharField(),
            )
        )
    )
    start_told = Exists(
        recorded.filter(
            delay_key=Concat(
                Value(f"{NOT_STARTED}:"), Cast(OuterRef("planned_day"), CharField()), output_field=CharField()
            )
        )
    )
    overrun = Q(Exists(late_stages))
    eta_late = Q(eta_day__gt=F("promised_date"))
    not_started = Q(status=WorkOrderStatus.PLANNED, started_at__isnull=True, planned_start__lt=cutoff)
    new_delay = (
        Q(Exists(late_stages.filter(~Q(stage_told))))
        | (eta_late & ~Q(eta_told))
        | (not_started & ~Q(start_told))
    )
    return (
        WorkOrder.objects.filter(status__in=OPEN)
        .annotate(
            eta_day=TruncDate("eta"),
            planned_day=TruncDate("planned_start"),
        )
        .annotate(
            is_late=Case(
                When(overrun | eta_late | not_started, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            has_new_delay=Case(
                When(new_delay, then=Value(True)), default=Value(False), output_field=BooleanField()
            ),
        )
        .filter(
            Q(has_new_delay=True)
            | Q(is_late=True, delayed_since__isnull=True)
            | Q(is_late=False, delayed_since__isnull=False)
        )
        .order_by("pk")
    )
