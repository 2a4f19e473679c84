"""Stage start/finish (production.services.progress): order, idempotency, ETA, timelines, events."""

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from core.errors import Conflict, ValidationFailed
from core.models import OutboxEvent
from orders.models import OrderEvent
from orders.states import OrderEventKind
from orders.timeline import event_sentences
from production.models import WorkOrderEvent
from production.services import progress
from production.services.progress import (
    StageNotFound,
    StageNotStarted,
    StageOutOfOrder,
    WorkOrderClosed,
    stage_finish,
    stage_start,
    work_order_eta_refresh,
)
from production.states import StageStatus, WorkOrderEventKind, WorkOrderStatus
from production.tests.factories_floor import make_work_order

pytestmark = pytest.mark.django_db
K = WorkOrderEventKind


def _order_sentences(work_order):
    events = OrderEvent.objects.filter(
        order_id=work_order.order_id, kind=OrderEventKind.PRODUCTION_PROGRESS
    ).order_by("id")
    return [sentence for event in events for sentence in event_sentences(event)]


def _finish(work_order, *codes):
    for code in codes:
        stage_start(work_order_id=work_order.pk, stage_code=code)
        stage_finish(work_order_id=work_order.pk, stage_code=code)


def test_the_first_stage_start_reserves_materials_and_moves_the_work_order_to_in_progress():
    work_order = make_work_order()

    with mock.patch.object(progress, "work_order_materials_reserve") as reserve:
        result = stage_start(work_order_id=work_order.pk, stage_code="welding")

    reserve.assert_called_once_with(work_order_id=work_order.pk, actor=None)
    assert result.status == WorkOrderStatus.IN_PROGRESS
    assert result.started_at is not None
    assert result.stage == "Frame welding"
    assert work_order.events.filter(kind=K.IN_PROGRESS).count() == 1


def test_a_start_stamps_the_stage_and_writes_the_work_order_timeline_and_event(django_user_model):
    work_order = make_work_order()
    user = django_user_model.objects.create_user("sup")
    at = timezone.now() - dt.timedelta(minutes=5)

    stage_start(work_order_id=work_order.pk, stage_code="welding", actor=user, at=at, source="portal")

    stage = work_order.stages.get(code="welding")
    assert (stage.status, stage.started_at, stage.started_by) == (StageStatus.STARTED, at, user)
    event = work_order.events.get(kind=K.STAGE_STARTED)
    assert event.data["stage"] == "welding"
    assert event.data["source"] == "portal"
    assert event.actor == user
    emitted = OutboxEvent.objects.get(name="work_order.stage_started")
    assert emitted.payload["number"] == work_order.number
    assert emitted.payload["stage"] == "welding"


def test_progress_moves_the_eta_and_tells_the_order_timeline_in_words():
    work_order = make_work_order(planned_start=timezone.now() - dt.timedelta(days=1))
    before = work_order.eta

    stage_start(work_order_id=work_order.pk, stage_code="welding")
    stage_finish(work_order_id=work_order.pk, stage_code="welding")
    stage_start(work_order_id=work_order.pk, stage_code="painting")

    work_order.refresh_from_db()
    line = work_order.order_line
    line.refresh_from_db()
    assert work_order.eta != before
    assert work_order.progress_percent == 25  # welding's 1 of 4 standard days
    assert line.production_stage == "Painting"
    assert line.production_progress == 25
    assert line.eta == timezone.localdate(work_order.eta)
    sku = line.sku
    assert _order_sentences(work_order) == [
        f"Line 1 ({sku}): Frame welding started.",
        f"Line 1 ({sku}): Frame welding finished.",
        f"Line 1 ({sku}): Painting started.",
    ]


def test_a_stage_cannot_start_before_the_one_before_it_finished():
    work_order = make_work_order()
    stage_start(work_order_id=work_order.pk, stage_code="welding")
    events_before = WorkOrderEvent.objects.count()

    with pytest.raises(StageOutOfOrder) as refused:
        stage_start(work_order_id=work_order.pk, stage_code="assembly")

    assert refused.value.extra["waiting_for"] == "welding"
    assert work_order.stages.get(code="assembly").status == StageStatus.PENDING
    assert WorkOrderEvent.objects.count() == events_before


def test_a_stage_that_did_not_start_cannot_finish():
    work_order = make_work_order()

    with pytest.raises(StageNotStarted):
        stage_finish(work_order_id=work_order.pk, stage_code="welding")

    work_order.refresh_from_db()
    assert work_order.status == WorkOrderStatus.PLANNED
    assert not work_order.events.exists()
    assert not OrderEvent.objects.filter(
        order_id=work_order.order_id, kind=OrderEventKind.PRODUCTION_PROGRESS
    )


def test_an_unknown_stage_is_refused_with_the_known_ones():
    work_order = make_work_order()

    with pytest.raises(StageNotFound) as refused:
        stage_start(work_order_id=work_order.pk, stage_code="polishing")

    assert "welding, painting, assembly, inspection" in str(refused.value.message)


def test_repeating_a_start_or_a_finish_changes_nothing():
    work_order = make_work_order()
    stage_start(work_order_id=work_order.pk, stage_code="welding")
    stage_finish(work_order_id=work_order.pk, stage_code="welding")
    counts = (WorkOrderEvent.objects.count(), OrderEvent.objects.count(), OutboxEvent.objects.count())

    stage_start(work_order_id=work_order.pk, stage_code="welding")
    stage_finish(work_order_id=work_order.pk, stage_code="welding")

    assert (WorkOrderEvent.objects.count(), OrderEvent.objects.count(), OutboxEvent.objects.count()) == counts


def test_a_short_work_order_cannot_start_and_nothing_is_recorded():
    work_order = make_work_order()

    with (
        mock.patch.object(
            progress, "work_order_materials_reserve", side_effect=Conflict(code="materials_short")
        ),
        pytest.raises(Conflict),
    ):
        stage_start(work_order_id=work_order.pk, stage_code="welding")

    work_order.refresh_from_db()
    assert work_order.status == WorkOrderStatus.PLANNED
    assert work_order.stages.get(code="welding").status == StageStatus.PENDING
    assert not work_order.events.exists()


def test_the_last_finish_completes_the_work_order_with_its_serials():
    work_order = make_work_order(tracking="serial")
    _finish(work_order, "welding", "painting", "assembly")
    stage_start(work_order_id=work_order.pk, stage_code="inspection")

    with mock.patch.object(progress, "work_order_complete", wraps=progress.work_order_complete) as complete:
        result = stage_finish(work_order_id=work_order.pk, stage_code="inspection", serials=["S1"])

    complete.assert_called_once_with(work_order_id=work_order.pk, actor=None, serials=["S1"])
    assert result.status == WorkOrderStatus.DONE
    assert result.progress_percent == 100


def test_serials_before_the_last_stage_are_refused():
    work_order = make_work_order()
    stage_start(work_order_id=work_order.pk, stage_code="welding")

    with pytest.raises(ValidationFailed) as refused:
        stage_finish(work_order_id=work_order.pk, stage_code="welding", serials=["S1"])

    assert "serials" in refused.value.fields
    assert work_order.stages.get(code="welding").status == StageStatus.STARTED


def test_a_cancelled_work_order_records_no_progress():
    work_order = make_work_order(status=WorkOrderStatus.CANCELLED)

    with pytest.raises(WorkOrderClosed):
        stage_start(work_order_id=work_order.pk, stage_code="welding")

    assert not work_order.events.exists()


def test_a_make_to_stock_work_order_progresses_without_an_order():
    work_order = make_work_order(kind="stock")

    result = stage_start(work_order_id=work_order.pk, stage_code="welding")

    assert result.stage == "Frame welding"
    assert not OrderEvent.objects.filter(kind=OrderEventKind.PRODUCTION_PROGRESS).exists()


def test_the_eta_refresh_moves_a_late_plan_and_writes_the_line_summary():
    past = timezone.now() - dt.timedelta(days=30)
    work_order = make_work_order(planned_start=past, planned_finish=past + dt.timedelta(days=3))

    result = work_order_eta_refresh(work_order_id=work_order.pk)

    assert result.eta > timezone.now()
    assert result.events.filter(kind=K.ETA_CHANGED).count() == 1
    line = work_order.order_line
    line.refresh_from_db()
    assert line.eta == timezone.localdate(result.eta)
