"""The admin's "record progress" page of a work order (production.admin_progress)."""

import pytest
from django.contrib.auth.models import Permission

from crm.tests.factories import UserFactory
from production.services.progress import stage_finish, stage_start
from production.states import StageStatus, WorkOrderStatus
from production.tests.factories_floor import make_work_order

pytestmark = [pytest.mark.django_db, pytest.mark.urls("production.tests.admin_floor_urls")]


def url(work_order):
    return f"/admin/production/workorder/{work_order.pk}/progress/"


@pytest.fixture
def scheduler(db):
    user = UserFactory(username="sched", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="progress_workorder"),
        Permission.objects.get(codename="view_workorder"),
    )
    return user


def test_the_page_offers_the_next_stage_and_records_it(client, scheduler):
    work_order = make_work_order()
    client.force_login(scheduler)

    page = client.get(url(work_order)).content.decode()
    response = client.post(url(work_order), {"stage": "welding", "action": "start"})

    assert "Start Frame welding" in page
    assert response.status_code == 302
    work_order.refresh_from_db()
    assert work_order.status == WorkOrderStatus.IN_PROGRESS
    assert work_order.events.get(kind="work_order.stage_started").data["source"] == "admin"


def test_a_refusal_is_a_form_error_and_nothing_is_recorded(client, scheduler):
    work_order = make_work_order()
    client.force_login(scheduler)

    response = client.post(url(work_order), {"stage": "welding", "action": "finish"})

    assert response.status_code == 200
    assert "has not started" in response.content.decode()
    assert not work_order.events.exists()


def test_the_last_stage_takes_serials(client, scheduler):
    work_order = make_work_order(tracking="serial", quantity=2)
    for code in ("welding", "painting", "assembly"):
        stage_start(work_order_id=work_order.pk, stage_code=code)
        stage_finish(work_order_id=work_order.pk, stage_code=code)
    stage_start(work_order_id=work_order.pk, stage_code="inspection")
    client.force_login(scheduler)

    page = client.get(url(work_order)).content.decode()
    client.post(url(work_order), {"stage": "inspection", "action": "finish", "serials": "S-1\nS-2"})

    assert 'name="serials"' in page
    work_order.refresh_from_db()
    assert work_order.status == WorkOrderStatus.DONE


def test_staff_without_the_progress_permission_are_refused(client):
    work_order = make_work_order()
    client.force_login(UserFactory(is_staff=True))

    response = client.post(url(work_order), {"stage": "welding", "action": "start"})

    assert response.status_code == 403
    assert work_order.stages.get(code="welding").status == StageStatus.PENDING
