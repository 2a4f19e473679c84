"""Reads for progress: which work orders a terminal, a plant supervisor or a sales rep sees, with
their stages, and what the next step of a work order is."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When

from core.errors import NotFound
from orders.selectors import order_list_for_rep
from production.models import WorkOrder, WorkOrderStage
from production.states import OPEN, StageStatus, WorkOrderStatus


@dataclass(frozen=True)
class NextStep:
    stage: WorkOrderStage
    action: str  # "start" | "finish"
    is_last: bool


def _with_stages(queryset: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
    return queryset.select_related("product", "line", "plant").prefetch_related(
        Prefetch("stages", queryset=WorkOrderStage.objects.order_by("position"))
    )


def work_order_list_for_plant(*, plant_id: int) -> QuerySet[WorkOrder]:
    """The plant's open work orders with their stages: in progress first, then by planned start."""
    return _with_stages(
        WorkOrder.objects.filter(plant_id=plant_id, status__in=OPEN).order_by("status", "planned_start", "id")
    )


def work_order_list_for_supervisor(*, user) -> QuerySet[WorkOrder]:
    """Open work orders of the plants `user` supervises (production.Plant.supervisors)."""
    return _with_stages(
        WorkOrder.objects.filter(plant__supervisors=user, status__in=OPEN).order_by(
            "plant__code", "status", "planned_start", "id"
        )
    )


def work_order_get_for_supervisor(*, user, number: str) -> WorkOrder:
    """One open work order of a plant `user` supervises, or NotFound (another plant's too)."""
    work_order = work_order_list_for_supervisor(user=user).filter(number=number).first()
    if work_order is None:
        raise NotFound()
    return work_order


def work_order_list_for_rep(*, user) -> QuerySet[WorkOrder]:
    """Work orders building lines of orders of the rep's customers (orders.selectors decides which),
    cancelled ones left out: open ones first by estimated completion, then done ones, latest first."""
    return _with_stages(
        WorkOrder.objects.filter(order__in=order_list_for_rep(user=user).values("pk"))
        .exclude(status=WorkOrderStatus.CANCELLED)
        .select_related("order__customer", "order_line")
        .annotate(
            closed=Case(When(status__in=OPEN, then=Value(0)), default=Value(1), output_field=IntegerField())
        )
        .order_by("closed", "eta", "-done_at", "-id")
    )


def supervises_any_plant(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    cached = getattr(user, "_supervises_plants", None)
    if cached is None:
        cached = user.supervised_plants.filter(is_active=True).exists()
        user._supervises_plants = cached
    return cached


def next_step(stages) -> NextStep | None:
    """What is recorded next on a work order with these stages (in position order): finish the stage
    in progress, else start the first pending one; None when every stage has finished."""
    stages = list(stages)
    for stage in stages:
        if stage.status == StageStatus.STARTED:
            return NextStep(stage, "finish", stage is stages[-1])
        if stage.status == StageStatus.PENDING:
            return NextStep(stage, "start", stage is stages[-1])
    return None
