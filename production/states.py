"""The work order lifecycle, declared for the engine (core.lifecycle): the only definition.

A work order is planned when it is scheduled (production.services.scheduling), in progress from
its first stage start, done when its last stage finishes and its units are received into stock
(production.services.completion). "In progress" and "done" are reached only through the progress
services (admin, portal, shop-floor terminals all call them), never set by hand. A delay is not a
status: a work order running late is still planned or in progress, with `delayed_since` set.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.lifecycle import Lifecycle


class WorkOrderStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class WorkOrderEventKind(models.TextChoices):
    PLANNED = "work_order.planned", _("Planned")
    IN_PROGRESS = "work_order.in_progress", _("Started")
    DONE = "work_order.done", _("Done")
    CANCELLED = "work_order.cancelled", _("Cancelled")
    # Not status changes: what the scheduler and the shop floor record.
    RESCHEDULED = "work_order.rescheduled", _("Rescheduled")
    SPLIT = "work_order.split", _("Split")
    STAGE_STARTED = "work_order.stage_started", _("Stage started")
    STAGE_FINISHED = "work_order.stage_finished", _("Stage finished")
    DELAYED = "work_order.delayed", _("Delayed")
    ETA_CHANGED = "work_order.eta_changed", _("Estimated completion changed")
    MATERIALS_RESERVED = "work_order.materials_reserved", _("Materials reserved")


class StageStatus(models.TextChoices):
    PENDING = "pending", _("Not started")
    STARTED = "started", _("Started")
    DONE = "done", _("Finished")


class TrackingMode(models.TextChoices):
    SERIAL = "serial", _("Serial number per unit")
    BATCH = "batch", _("Batch number per work order")


class WorkOrderKind(models.TextChoices):
    ORDER = "order", _("For a customer order")
    STOCK = "stock", _("Make to stock")


W = WorkOrderStatus
ALLOWED = {
    W.PLANNED: {W.IN_PROGRESS, W.CANCELLED},
    W.IN_PROGRESS: {W.DONE, W.CANCELLED},
    W.DONE: set(),
    W.CANCELLED: set(),
}
# Open work orders hold capacity and are scheduled; closed ones keep their history only.
OPEN = frozenset({W.PLANNED, W.IN_PROGRESS})
TRANSITION_PERMISSION = {
    W.PLANNED: "production.change_workorder",
    W.IN_PROGRESS: "production.progress_workorder",
    W.DONE: "production.progress_workorder",
    W.CANCELLED: "production.change_workorder",
}


def _payload(work_order) -> dict:
    return {
        "work_order_id": work_order.pk,
        "number": work_order.number,
        "order_id": work_order.order_id,
        "order_line_id": work_order.order_line_id,
        "plant_id": work_order.plant_id,
        "status": work_order.status,
    }


LIFECYCLE = Lifecycle(
    document="work_order",
    model="production.WorkOrder",
    timeline="production.WorkOrderEvent",
    statuses=WorkOrderStatus,
    allowed=ALLOWED,
    permissions=TRANSITION_PERMISSION,
    kinds=WorkOrderEventKind,
    stamps={W.IN_PROGRESS: "started_at", W.DONE: "done_at", W.CANCELLED: "cancelled_at"},
    payload=_payload,
)
