# PLACEHOLDER for H3: replaced at merge
from core.lifecycle import transition
from production.models import WorkOrder
from production.states import LIFECYCLE, WorkOrderStatus


def work_order_complete(*, work_order_id: int, actor=None, serials: list[str] | None = None) -> WorkOrder:
    return transition(LIFECYCLE, work_order_id, WorkOrderStatus.DONE, actor=actor)[0]
