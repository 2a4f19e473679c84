"""The work order lifecycle, declared in the same shape as the other documents' for the engine
(core.lifecycle).

Nothing moves a work order yet: there is no production service, and the admin shows work orders
only. The process (its services, timeline model and events) is a later issue; it will call
`core.lifecycle.transition(LIFECYCLE, …)` and give `timeline` its model then.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.lifecycle import Lifecycle


class WorkOrderStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DELAYED = "delayed", _("Delayed")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class WorkOrderEventKind(models.TextChoices):
    IN_PROGRESS = "work_order.in_progress", _("Started")
    DELAYED = "work_order.delayed", _("Delayed")
    DONE = "work_order.done", _("Done")
    CANCELLED = "work_order.cancelled", _("Cancelled")


W = WorkOrderStatus
ALLOWED = {
    W.PLANNED: {W.IN_PROGRESS, W.CANCELLED},
    W.IN_PROGRESS: {W.DELAYED, W.DONE, W.CANCELLED},
    W.DELAYED: {W.IN_PROGRESS, W.DONE, W.CANCELLED},
    W.DONE: set(),
    W.CANCELLED: set(),
}
TRANSITION_PERMISSION = dict.fromkeys(W.values, "production.change_workorder")


def _payload(work_order) -> dict:
    return {
        "work_order_id": work_order.pk,
        "number": work_order.number,
        "order_line_id": work_order.order_line_id,
        "status": work_order.status,
    }


LIFECYCLE = Lifecycle(
    document="work_order",
    model="production.WorkOrder",
    timeline=None,
    statuses=WorkOrderStatus,
    allowed=ALLOWED,
    permissions=TRANSITION_PERMISSION,
    kinds=WorkOrderEventKind,
    # Resuming after a delay keeps the start time.
    stamps={W.IN_PROGRESS: "started_at", W.DONE: "done_at"},
    payload=_payload,
)
