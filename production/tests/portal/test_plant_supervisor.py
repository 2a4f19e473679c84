"""The plant supervisor's pages: their plants' open work orders, the next step recorded by a button."""

import pytest
from django.test import Client

from crm.tests.factories import UserFactory
from production.models import WorkOrderEvent
from production.services.progress import stage_finish, stage_start
from production.states import StageStatus, WorkOrderStatus
from production.tests.factories import PlantFactory
from production.tests.factories_floor import make_work_order

pytestmark = pytest.mark.django_db
LIST = "/portal/plant/work-orders/"


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def detail(work_order):
    return f"/portal/plant/work-orders/{work_order.number}/"


def test_a_supervisor_sees_the_open_work_orders_of_their_plants_only(supervisor, plant):
    mine = make_work_order(plant=plant)
    make_work_order(plant=plant, status=WorkOrderStatus.DONE)
    theirs = make_work_order(plant=PlantFactory())

    page = client_for(supervisor).get(LIST).content.decode()

    assert mine.number in page
    assert theirs.number not in page
    assert "Start Frame welding" in page
    assert 'href="/portal/plant/work-orders/"' in page  # the nav entry


def test_the_button_starts_the_next_stage(supervisor, plant):
    work_order = make_work_order(plant=plant)

    response = client_for(supervisor).post(detail(work_order), {"stage": "welding", "action": "start"})

    assert response.status_code == 302
    work_order.refresh_from_db()
    assert work_order.status == WorkOrderStatus.IN_PROGRESS
    stage = work_order.stages.get(code="welding")
    assert stage.started_by == supervisor
    assert work_order.events.get(kind="work_order.stage_started").data["source"] == "portal"


def test_a_refused_step_is_shown_as_a_form_error(supervisor, plant):
    work_order = make_work_order(plant=plant)

    response = client_for(supervisor).post(detail(work_order), {"stage": "painting", "action": "start"})

    assert response.status_code == 200
    assert "cannot start before Frame welding has finished" in response.content.decode()
    assert work_order.stages.get(code="painting").status == StageStatus.PENDING
    assert not WorkOrderEvent.objects.exists()


def test_another_plants_work_order_is_404(supervisor):
    other = make_work_order(plant=PlantFactory())

    response = client_for(supervisor).post(detail(other), {"stage": "welding", "action": "start"})

    assert response.status_code == 404
    assert other.stages.get(code="welding").status == StageStatus.PENDING


def test_a_user_who_supervises_no_plant_cannot_record_progress(plant):
    work_order = make_work_order(plant=plant)
    someone = UserFactory()

    listing = client_for(someone).get(LIST)
    recording = client_for(someone).post(detail(work_order), {"stage": "welding", "action": "start"})

    assert listing.status_code == 403
    assert recording.status_code == 403
    assert work_order.stages.get(code="welding").status == StageStatus.PENDING
    assert 'href="/portal/plant/work-orders/"' not in listing.content.decode()


def test_a_supervisor_without_the_progress_permission_sees_but_cannot_record(plant):
    work_order = make_work_order(plant=plant)
    viewer = UserFactory()
    plant.supervisors.add(viewer)

    page = client_for(viewer).get(LIST).content.decode()
    recording = client_for(viewer).post(detail(work_order), {"stage": "welding", "action": "start"})

    assert work_order.number in page
    assert "Start Frame welding" not in page
    assert recording.status_code == 403
    assert work_order.stages.get(code="welding").status == StageStatus.PENDING


def test_the_last_stage_finishes_with_serials_on_the_work_orders_page(supervisor, plant):
    work_order = make_work_order(plant=plant, tracking="serial")
    for code in ("welding", "painting", "assembly"):
        stage_start(work_order_id=work_order.pk, stage_code=code)
        stage_finish(work_order_id=work_order.pk, stage_code=code)
    stage_start(work_order_id=work_order.pk, stage_code="inspection")
    client = client_for(supervisor)

    page = client.get(detail(work_order)).content.decode()
    response = client.post(
        detail(work_order), {"stage": "inspection", "action": "finish", "serials": "S-1\n"}
    )

    assert 'name="serials"' in page
    assert response.status_code == 302
    work_order.refresh_from_db()
    assert work_order.status == WorkOrderStatus.DONE


def test_the_list_query_count_does_not_grow_with_work_orders(
    supervisor, plant, django_assert_max_num_queries
):
    client = client_for(supervisor)
    make_work_order(plant=plant)
    client.get(LIST)
    for _ in range(20):
        make_work_order(plant=plant)

    with django_assert_max_num_queries(11):
        response = client.get(LIST)

    assert response.content.decode().count('class="step-form') == 21
