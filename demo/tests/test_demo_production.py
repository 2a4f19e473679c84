"""The demo's production story: builds at every stage, finished builds with serials, a delay told, a
shortage on the purchasing list — all through production's services."""

import pytest

from core.models import Notification
from demo.services import demo_seed
from demo.tests.test_demo_data import FEW_ORDERS
from production.models import ProductionBatch, SerialNumber, WorkOrder
from production.selectors.materials import shortage_list
from production.states import WorkOrderStatus as W


@pytest.mark.django_db
def test_the_demo_shows_builds_at_every_stage_a_delay_and_a_shortage():
    demo_seed(size="small", orders=FEW_ORDERS)

    statuses = set(WorkOrder.objects.values_list("status", flat=True))
    delayed = WorkOrder.objects.filter(status__in=[W.PLANNED, W.IN_PROGRESS], delayed_since__isnull=False)
    assert {W.PLANNED, W.IN_PROGRESS, W.DONE} <= statuses
    assert delayed.filter(kind="order").exists()
    assert Notification.objects.filter(kind="production.delayed").exists()
    assert ProductionBatch.objects.exists()
    assert SerialNumber.objects.exclude(order_line=None).exists()
    assert WorkOrder.objects.filter(materials_short=True).exists()
    assert shortage_list()
