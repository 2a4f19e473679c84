"""POST /api/v1/shop-floor/events/: device tokens, plant scoping, idempotency on the event id."""

import datetime as dt
import json
import threading
import time

import pytest
from django.db import close_old_connections, connection
from django.test import Client
from django.utils import timezone

from core.models import OutboxEvent
from crm.tests.factories import dealer_user
from production.models import ShopFloorEvent, WorkOrderEvent
from production.services import devices
from production.services.devices import device_revoke
from production.states import StageStatus, WorkOrderStatus
from production.tests.factories import PlantFactory
from production.tests.factories_floor import make_device, make_work_order
from restapi.services import api_token_create

URL = "/api/v1/shop-floor/events/"


def post(token, body, client=None, scheme="Device"):
    return (client or Client()).post(
        URL, data=json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"{scheme} {token}"
    )


def event(work_order, stage="welding", action="start", event_id="ev-1", **extra):
    return {"event_id": event_id, "work_order": work_order.number, "stage": stage, "action": action, **extra}


@pytest.fixture
def setup(db):
    work_order = make_work_order()
    device, token = make_device(plant=work_order.plant)
    return work_order, device, token


def test_a_first_report_is_recorded_and_answers_201(setup):
    work_order, device, token = setup

    response = post(token, event(work_order))

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == WorkOrderStatus.IN_PROGRESS
    assert body["current_stage"] == "Frame welding"
    assert not response.has_header("Idempotent-Replayed")
    assert work_order.stages.get(code="welding").status == StageStatus.STARTED
    stored = ShopFloorEvent.objects.get(device=device, event_id="ev-1")
    assert stored.response == body
    assert work_order.events.get(kind="work_order.stage_started").data["source"] == "shop_floor"


def test_a_repeated_event_id_replays_the_first_answer_and_records_nothing(setup):
    work_order, _device, token = setup
    first = post(token, event(work_order))
    counts = (WorkOrderEvent.objects.count(), OutboxEvent.objects.count(), ShopFloorEvent.objects.count())

    again = post(token, event(work_order))

    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert (
        WorkOrderEvent.objects.count(),
        OutboxEvent.objects.count(),
        ShopFloorEvent.objects.count(),
    ) == counts


def test_an_event_id_reused_for_another_report_is_refused(setup):
    work_order, _device, token = setup
    post(token, event(work_order))

    response = post(token, event(work_order, action="finish"))

    assert response.status_code == 422
    assert response.json()["code"] == "event_id_reused"
    assert work_order.stages.get(code="welding").status == StageStatus.STARTED


def test_another_plants_work_order_is_refused_and_nothing_recorded(setup):
    work_order, _device, _token = setup
    _other, other_token = make_device(plant=PlantFactory())

    response = post(other_token, event(work_order))

    assert response.status_code == 403
    assert response.json()["code"] == "work_order_other_plant"
    assert not ShopFloorEvent.objects.exists()
    assert work_order.stages.get(code="welding").status == StageStatus.PENDING
    assert not WorkOrderEvent.objects.exists()


def test_an_unknown_work_order_is_404(setup):
    _work_order, _device, token = setup

    response = post(token, {"event_id": "x", "work_order": "WO-NOPE", "stage": "welding", "action": "start"})

    assert response.status_code == 404
    assert response.json()["code"] == "work_order_not_found"
    assert not ShopFloorEvent.objects.exists()


def test_a_revoked_token_is_refused(setup):
    work_order, device, token = setup
    device_revoke(device_id=device.pk)

    response = post(token, event(work_order))

    assert response.status_code == 401
    assert response.json()["code"] == "device_token_invalid"
    assert response["WWW-Authenticate"] == "Device"
    assert not ShopFloorEvent.objects.exists()


@pytest.mark.parametrize("token", ["sfd_not-a-real-token", "garbage", ""])
def test_a_bad_token_is_refused(setup, token):
    work_order, _device, _token = setup

    response = post(token, event(work_order))

    assert response.status_code == 401
    assert not ShopFloorEvent.objects.exists()


def test_no_credentials_is_401(setup):
    work_order, _device, _token = setup

    response = Client().post(URL, data=json.dumps(event(work_order)), content_type="application/json")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_dealer_token_or_a_staff_session_is_not_a_device(setup, django_user_model):
    work_order, _device, _token = setup
    dealer = dealer_user()
    _token_row, key = api_token_create(user=dealer, name="erp")
    staff = django_user_model.objects.create_superuser("boss", password="x")
    session = Client()
    session.force_login(staff)

    by_token = post(key, event(work_order), scheme="Token")
    by_session = session.post(URL, data=json.dumps(event(work_order)), content_type="application/json")

    assert by_token.status_code == 401
    assert by_session.status_code == 401
    assert not ShopFloorEvent.objects.exists()


def test_bad_input_gets_field_errors(setup):
    work_order, _device, token = setup
    future = (timezone.now() + dt.timedelta(minutes=30)).isoformat()

    response = post(token, event(work_order, action="pause", occurred_at=future, colour="red"))

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) >= {"colour"}
    response = post(token, event(work_order, action="pause", occurred_at=future))
    assert set(response.json()["fields"]) == {"action", "occurred_at"}
    assert not ShopFloorEvent.objects.exists()


def test_a_stage_out_of_order_is_409_and_can_be_sent_again_once_fixed(setup):
    work_order, _device, token = setup

    refused = post(token, event(work_order, stage="painting", event_id="p1"))
    post(token, event(work_order, event_id="w1"))
    post(token, event(work_order, action="finish", event_id="w2"))
    accepted = post(token, event(work_order, stage="painting", event_id="p1"))

    assert refused.status_code == 409
    assert refused.json()["code"] == "stage_out_of_order"
    assert accepted.status_code == 201


def test_the_occurred_at_is_the_stages_start(setup):
    work_order, _device, token = setup
    at = timezone.now() - dt.timedelta(hours=2)

    post(token, event(work_order, occurred_at=at.isoformat()))

    assert work_order.stages.get(code="welding").started_at == at


def test_the_device_is_seen_at_most_once_a_minute(setup):
    work_order, device, token = setup
    post(token, event(work_order, event_id="a"))
    device.refresh_from_db()
    seen = device.last_seen_at

    post(token, event(work_order, event_id="b"))

    device.refresh_from_db()
    assert seen is not None
    assert device.last_seen_at == seen


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_identical_reports_at_once_have_one_effect(monkeypatch):
    work_order = make_work_order()
    _device, token = make_device(plant=work_order.plant)
    real_record = devices.stage_record

    def slow_start(**kwargs):
        # Hold the first report's transaction open so the second one meets its unique key.
        result = real_record(**kwargs)
        time.sleep(0.5)
        return result

    monkeypatch.setattr(devices, "stage_record", slow_start)
    barrier = threading.Barrier(2)
    responses: list = [None, None]

    def send(index: int):
        try:
            barrier.wait(timeout=10)
            responses[index] = post(token, event(work_order, event_id="race"))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(r.status_code for r in responses) == [200, 201]
    assert responses[0].json() == responses[1].json()
    assert ShopFloorEvent.objects.filter(event_id="race").count() == 1
    assert WorkOrderEvent.objects.filter(work_order=work_order, kind="work_order.stage_started").count() == 1
    assert OutboxEvent.objects.filter(name="work_order.stage_started").count() == 1
