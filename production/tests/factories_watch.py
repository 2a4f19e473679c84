"""Work orders with stages and dates set by hand, for the delay sweep's tests (no scheduler needed)."""

import datetime as dt

from django.contrib.auth.models import Group
from django.utils import timezone

from crm.roles import ORDER_MANAGER
from crm.tests.factories import CustomerFactory, UserFactory
from inventory.tests.factories import ProductFactory
from orders.tests.factories import make_order
from production.models import WorkOrder, WorkOrderStage
from production.states import StageStatus, WorkOrderKind, WorkOrderStatus
from production.tests.factories import PlantFactory

STAGES = (("welding", "Frame welding"), ("painting", "Painting"), ("assembly", "Assembly"))


def order_manager(**kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(Group.objects.get_or_create(name=ORDER_MANAGER)[0])
    return user


def built_order(*, customer=None, rep=None):
    """A submitted order of one made-to-order line, for a customer with a sales rep."""
    customer = customer or CustomerFactory(sales_rep=rep if rep is not None else UserFactory())
    return make_order(customer=customer, products=[ProductFactory(made_to_order=True)])


def watched_work_order(
    *,
    now: dt.datetime,
    order=None,
    kind: str = WorkOrderKind.ORDER,
    status: str = WorkOrderStatus.PLANNED,
    planned_start: dt.datetime | None = None,
    promised_date: dt.date | None = None,
    eta: dt.datetime | None = None,
    started: int = 0,
    finished: int = 0,
    stage_days: int = 2,
) -> WorkOrder:
    """A work order whose stages follow one another from `planned_start` (default: tomorrow), each
    `stage_days` long; the first `started` stages were started at their planned start, the first
    `finished` of those finished at their planned finish. Promised date and ETA default to the planned
    finish's date (on time)."""
    planned_start = planned_start or now + dt.timedelta(days=1)
    span = dt.timedelta(days=stage_days)
    planned_finish = planned_start + span * len(STAGES)
    line = None
    if kind == WorkOrderKind.ORDER:
        order = order or built_order()
        line = order.lines.first()
    work_order = WorkOrder.objects.create(
        number=f"WO-T-{WorkOrder.objects.count() + 1:06d}",
        kind=kind,
        order=order if line else None,
        order_line=line,
        product=line.product if line else ProductFactory(made_to_order=True),
        plant=PlantFactory(),
        quantity=1,
        status=status,
        planned_start=planned_start,
        planned_finish=planned_finish,
        promised_date=promised_date or timezone.localdate(planned_finish),
        eta=eta or planned_finish,
        started_at=planned_start if started else None,
    )
    for index, (code, name) in enumerate(STAGES):
        start, finish = planned_start + span * index, planned_start + span * (index + 1)
        WorkOrderStage.objects.create(
            work_order=work_order,
            position=index + 1,
            code=code,
            name=name,
            standard_days=stage_days,
            status=(
                StageStatus.DONE
                if index < finished
                else StageStatus.STARTED
                if index < started
                else StageStatus.PENDING
            ),
            planned_start=start,
            planned_finish=finish,
            started_at=start if index < started else None,
            finished_at=finish if index < finished else None,
        )
    return work_order
