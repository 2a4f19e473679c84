"""The delay sweep (production.services.delays): each delay told once, recoveries cleared silently."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from config.schedules import BEAT_SCHEDULE
from core.models import Notification, OutboxEvent
from core.notifications import notification_render
from orders.models import OrderEvent
from orders.states import OrderEventKind
from production import tasks
from production.models import WorkOrder, WorkOrderEvent
from production.services.delays import delays_sweep
from production.states import WorkOrderEventKind, WorkOrderKind, WorkOrderStatus
from production.tests.factories_watch import built_order, order_manager, watched_work_order

NOW = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
DAY = dt.timedelta(days=1)


def delayed_events(work_order) -> list[WorkOrderEvent]:
    return list(WorkOrderEvent.objects.filter(work_order=work_order, kind=WorkOrderEventKind.DELAYED))


def order_steps(order) -> list[dict]:
    return [
        event.data
        for event in OrderEvent.objects.filter(order=order, kind=OrderEventKind.PRODUCTION_PROGRESS)
        if event.data.get("event") == "delayed"
    ]


def emitted() -> list[dict]:
    return [event.payload for event in OutboxEvent.objects.filter(name="production.delayed")]


def overrunning(**kwargs) -> WorkOrder:
    """In progress; its first stage (welding) should have finished three hours ago and has not."""
    return watched_work_order(
        now=NOW,
        status=WorkOrderStatus.IN_PROGRESS,
        planned_start=NOW - 2 * DAY - dt.timedelta(hours=3),
        started=1,
        **kwargs,
    )


# --- stage overrun -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_stage_running_past_its_planned_finish_marks_the_work_order_delayed():
    work_order = overrunning()

    handled = delays_sweep(now=NOW)

    work_order.refresh_from_db()
    assert handled == 1
    assert work_order.delayed_since == NOW
    (event,) = delayed_events(work_order)
    assert event.data["reason"] == "stage_overrun"
    assert event.data["key"] == "stage_overrun:welding"
    assert event.data["stage"] == "Frame welding"
    assert event.data["promised"] == work_order.promised_date.isoformat()


@pytest.mark.django_db
def test_a_late_stage_raises_exactly_one_alert_however_often_the_sweep_runs():
    manager = order_manager()
    work_order = overrunning()
    rep = work_order.order.customer.sales_rep

    for minutes in range(0, 60, 5):
        delays_sweep(now=NOW + dt.timedelta(minutes=minutes))

    notices = Notification.objects.filter(kind="production.delayed")
    assert sorted(n.user_id for n in notices) == sorted([manager.pk, rep.pk])
    assert {n.key for n in notices} == {f"production.delayed:{work_order.pk}:stage_overrun:welding"}
    assert len(delayed_events(work_order)) == 1
    assert len(order_steps(work_order.order)) == 1
    assert len(emitted()) == 1


@pytest.mark.django_db
def test_a_second_run_finds_nothing_due():
    overrunning()
    delays_sweep(now=NOW)

    assert delays_sweep(now=NOW + dt.timedelta(minutes=5)) == 0


@pytest.mark.django_db
def test_the_order_timeline_says_the_build_runs_late_with_the_expected_date():
    work_order = overrunning()

    delays_sweep(now=NOW)

    work_order.refresh_from_db()
    (step,) = order_steps(work_order.order)
    assert step["work_order"] == work_order.number
    assert step["stage"] == "Frame welding"
    assert step["date"] == timezone.localdate(work_order.eta).isoformat()
    assert step["line_id"] == work_order.order_line_id


@pytest.mark.django_db
def test_the_event_names_the_order_the_customer_and_the_delay():
    work_order = overrunning()

    delays_sweep(now=NOW)

    (payload,) = emitted()
    order = work_order.order
    assert payload == {
        "work_order_id": work_order.pk,
        "number": work_order.number,
        "order_id": order.pk,
        "order_number": order.number,
        "customer_id": order.customer_id,
        "line_id": work_order.order_line_id,
        "sku": work_order.order_line.sku,
        "reason": "stage_overrun",
        "stage": "Frame welding",
        "eta": payload["eta"],
        "promised_date": work_order.promised_date.isoformat(),
    }


@pytest.mark.django_db
def test_a_stage_just_past_its_planned_finish_is_within_the_grace(settings):
    settings.PRODUCTION_DELAY_GRACE_MINUTES = 60
    work_order = watched_work_order(
        now=NOW,
        status=WorkOrderStatus.IN_PROGRESS,
        planned_start=NOW - 2 * DAY - dt.timedelta(minutes=30),
        started=1,
    )

    assert delays_sweep(now=NOW) == 0

    work_order.refresh_from_db()
    assert work_order.delayed_since is None
    assert delayed_events(work_order) == []


@pytest.mark.django_db
def test_a_finished_stage_is_not_late():
    work_order = watched_work_order(
        now=NOW,
        status=WorkOrderStatus.IN_PROGRESS,
        planned_start=NOW - 2 * DAY - dt.timedelta(hours=3),
        started=2,
        finished=1,
    )

    assert delays_sweep(now=NOW) == 0
    assert delayed_events(work_order) == []


@pytest.mark.django_db
def test_the_next_stage_running_late_is_a_new_delay_told_again():
    manager = order_manager()
    work_order = overrunning()
    delays_sweep(now=NOW)
    welding, painting = work_order.stages.all()[:2]
    welding.finished_at, welding.status = NOW + dt.timedelta(hours=1), "done"
    welding.save()
    painting.started_at, painting.status = NOW + dt.timedelta(hours=1), "started"
    painting.planned_finish = NOW + dt.timedelta(hours=5)
    painting.save()

    delays_sweep(now=NOW + dt.timedelta(hours=7))

    keys = [e.data["key"] for e in delayed_events(work_order)]
    assert sorted(keys) == ["stage_overrun:painting", "stage_overrun:welding"]
    assert Notification.objects.filter(kind="production.delayed", user=manager).count() == 2


# --- ETA past the promise ------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_eta_after_the_promised_date_is_a_delay():
    manager = order_manager()
    promised = timezone.localdate(NOW) + dt.timedelta(days=5)
    work_order = watched_work_order(
        now=NOW,
        status=WorkOrderStatus.IN_PROGRESS,
        planned_start=NOW - DAY,
        started=1,
        promised_date=promised,
        eta=NOW + 7 * DAY,
    )

    delays_sweep(now=NOW)

    work_order.refresh_from_db()
    assert work_order.delayed_since == NOW
    (event,) = delayed_events(work_order)
    assert event.data["key"] == f"eta_past_promise:{promised.isoformat()}"
    assert event.data["eta"] == (timezone.localdate(NOW) + dt.timedelta(days=7)).isoformat()
    (notice,) = Notification.objects.filter(user=manager)
    assert notice.key == f"production.delayed:{work_order.pk}:eta_past_promise:{promised.isoformat()}"


@pytest.mark.django_db
def test_an_eta_on_the_promised_date_is_on_time():
    work_order = watched_work_order(
        now=NOW, promised_date=timezone.localdate(NOW + 7 * DAY), eta=NOW + 7 * DAY
    )

    assert delays_sweep(now=NOW) == 0
    assert delayed_events(work_order) == []


@pytest.mark.django_db
def test_an_eta_back_before_the_promise_clears_the_delay_without_telling_anyone():
    order_manager()
    promised = timezone.localdate(NOW) + dt.timedelta(days=5)
    work_order = watched_work_order(now=NOW, promised_date=promised, eta=NOW + 7 * DAY)
    delays_sweep(now=NOW)
    notices = Notification.objects.count()
    WorkOrder.objects.filter(pk=work_order.pk).update(eta=NOW + 4 * DAY)

    handled = delays_sweep(now=NOW + dt.timedelta(minutes=5))

    work_order.refresh_from_db()
    assert handled == 1
    assert work_order.delayed_since is None
    assert Notification.objects.count() == notices
    assert len(delayed_events(work_order)) == 1
    assert len(emitted()) == 1


@pytest.mark.django_db
def test_the_same_delay_after_a_recovery_is_marked_again_but_not_told_again():
    order_manager()
    promised = timezone.localdate(NOW) + dt.timedelta(days=5)
    work_order = watched_work_order(now=NOW, promised_date=promised, eta=NOW + 7 * DAY)
    delays_sweep(now=NOW)
    WorkOrder.objects.filter(pk=work_order.pk).update(eta=NOW + 4 * DAY)
    delays_sweep(now=NOW + dt.timedelta(minutes=5))
    notices = Notification.objects.count()
    WorkOrder.objects.filter(pk=work_order.pk).update(eta=NOW + 8 * DAY)

    delays_sweep(now=NOW + dt.timedelta(minutes=10))

    work_order.refresh_from_db()
    assert work_order.delayed_since == NOW + dt.timedelta(minutes=10)
    assert Notification.objects.count() == notices
    assert len(delayed_events(work_order)) == 1


@pytest.mark.django_db
def test_a_new_promise_that_is_missed_again_is_a_new_delay():
    manager = order_manager()
    promised = timezone.localdate(NOW) + dt.timedelta(days=5)
    work_order = watched_work_order(now=NOW, promised_date=promised, eta=NOW + 7 * DAY)
    delays_sweep(now=NOW)
    WorkOrder.objects.filter(pk=work_order.pk).update(promised_date=promised + dt.timedelta(days=1))

    delays_sweep(now=NOW + dt.timedelta(minutes=5))

    assert len(delayed_events(work_order)) == 2
    assert Notification.objects.filter(user=manager).count() == 2


# --- missed start -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_planned_start_passed_without_a_start_is_a_delay():
    work_order = watched_work_order(now=NOW, planned_start=NOW - DAY)

    delays_sweep(now=NOW)

    work_order.refresh_from_db()
    assert work_order.delayed_since == NOW
    (event,) = delayed_events(work_order)
    assert event.data["reason"] == "not_started"
    assert event.data["key"] == f"not_started:{timezone.localdate(NOW - DAY).isoformat()}"
    assert event.data["stage"] == "Frame welding"


@pytest.mark.django_db
def test_a_started_work_order_has_not_missed_its_start():
    work_order = watched_work_order(
        now=NOW, status=WorkOrderStatus.IN_PROGRESS, planned_start=NOW - DAY, started=1
    )

    assert delays_sweep(now=NOW) == 0
    assert delayed_events(work_order) == []


# --- which work orders ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("status", [WorkOrderStatus.DONE, WorkOrderStatus.CANCELLED])
def test_closed_work_orders_are_never_delayed(status):
    work_order = watched_work_order(now=NOW, status=status, planned_start=NOW - 9 * DAY, started=1)

    assert delays_sweep(now=NOW) == 0
    assert delayed_events(work_order) == []


@pytest.mark.django_db
def test_a_make_to_stock_work_order_is_marked_without_an_order_to_tell():
    order_manager()
    work_order = watched_work_order(now=NOW, kind=WorkOrderKind.STOCK, planned_start=NOW - DAY)

    delays_sweep(now=NOW)

    work_order.refresh_from_db()
    assert work_order.delayed_since == NOW
    assert len(delayed_events(work_order)) == 1
    assert Notification.objects.count() == 0
    (payload,) = emitted()
    assert (payload["order_id"], payload["customer_id"]) == (None, None)


@pytest.mark.django_db
def test_a_batch_is_bounded_and_the_next_runs_take_the_rest():
    late = [watched_work_order(now=NOW, planned_start=NOW - DAY) for _ in range(3)]

    assert [delays_sweep(now=NOW, limit=2) for _ in range(3)] == [2, 1, 0]
    assert WorkOrder.objects.filter(pk__in=[w.pk for w in late], delayed_since=NOW).count() == 3


# --- who is told, and how -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_manager_gets_the_admin_page_and_the_rep_the_portal_page():
    manager = order_manager()
    work_order = overrunning()
    order = work_order.order

    delays_sweep(now=NOW)

    to_manager = Notification.objects.get(user=manager)
    to_rep = Notification.objects.get(user=order.customer.sales_rep)
    assert to_manager.link == f"/admin/orders/order/{order.pk}/change/"
    assert to_rep.link == f"/portal/orders/{order.number}/"


@pytest.mark.django_db
def test_a_rep_who_is_also_an_order_manager_is_told_once():
    rep = order_manager()
    work_order = overrunning(order=built_order(rep=rep))

    delays_sweep(now=NOW)

    (notice,) = Notification.objects.filter(user=rep)
    assert notice.key.startswith(f"production.delayed:{work_order.pk}:")


@pytest.mark.django_db
def test_the_notice_says_which_work_order_stage_and_dates_in_english():
    manager = order_manager()
    work_order = overrunning()

    delays_sweep(now=NOW)

    rendered = notification_render(Notification.objects.get(user=manager), language="en")
    assert rendered.subject == (
        f"Order {work_order.order.number}: production is running late ({work_order.number})"
    )
    assert "Frame welding is running past its planned finish" in rendered.body
    assert f"Promised: {work_order.promised_date.isoformat()}" in rendered.body
    assert f"/admin/orders/order/{work_order.order_id}/change/" in rendered.body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("reason", "words"),
    [
        ("eta_past_promise", "is now expected after the promised date"),
        ("not_started", "has not started on its planned start date"),
    ],
)
def test_each_reason_has_its_own_words(reason, words):
    manager = order_manager()
    if reason == "not_started":
        watched_work_order(now=NOW, planned_start=NOW - DAY)
    else:
        watched_work_order(now=NOW, promised_date=timezone.localdate(NOW), eta=NOW + 3 * DAY)

    delays_sweep(now=NOW)

    assert words in notification_render(Notification.objects.get(user=manager), language="en").body


@pytest.mark.django_db
def test_the_notice_renders_in_chinese_without_error():
    manager = order_manager()
    overrunning()
    delays_sweep(now=NOW)

    with translation.override("zh-hans"):
        rendered = notification_render(Notification.objects.get(user=manager), language="zh-hans")

    assert isinstance(rendered.subject, str)
    assert rendered.subject


# --- the task and its schedule -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_task_enqueues_itself_again_after_a_full_batch(monkeypatch):
    for _ in range(2):
        watched_work_order(now=timezone.now(), planned_start=timezone.now() - DAY)
    again = []
    monkeypatch.setattr(tasks.delays_sweep_task, "delay", lambda **kw: again.append(kw))

    tasks.delays_sweep_task.apply(kwargs={"limit": 2}).get()
    tasks.delays_sweep_task.apply(kwargs={"limit": 2}).get()

    assert again == [{"limit": 2}]
    assert WorkOrder.objects.filter(delayed_since__isnull=False).count() == 2


def test_the_sweep_is_scheduled_every_five_minutes_by_default():
    (schedule,) = [
        entry["schedule"]
        for entry in BEAT_SCHEDULE.values()
        if entry["task"] == "production.tasks.delays_sweep_task"
    ]
    assert schedule == dt.timedelta(minutes=5)


# --- the estimate a delay leads to -----------------------------------------------------------------


@pytest.mark.django_db
def test_a_new_overrun_has_the_estimate_recomputed_first(eta_refresh):
    work_order = overrunning()

    delays_sweep(now=NOW)
    delays_sweep(now=NOW + dt.timedelta(minutes=5))

    assert eta_refresh.calls == [work_order.pk]


@pytest.mark.django_db
def test_an_estimate_the_overrun_pushes_past_the_promise_is_told_in_the_same_run(eta_refresh):
    manager = order_manager()
    work_order = overrunning()
    eta_refresh.moves_to = NOW + 30 * DAY

    delays_sweep(now=NOW)

    reasons = sorted(e.data["reason"] for e in delayed_events(work_order))
    assert reasons == ["eta_past_promise", "stage_overrun"]
    assert Notification.objects.filter(user=manager).count() == 2
    (step,) = order_steps(work_order.order)
    assert step["date"] == timezone.localdate(NOW + 30 * DAY).isoformat()


@pytest.mark.django_db
def test_an_eta_past_the_promise_alone_needs_no_recomputing(eta_refresh):
    watched_work_order(now=NOW, promised_date=timezone.localdate(NOW), eta=NOW + 3 * DAY)

    delays_sweep(now=NOW)

    assert eta_refresh.calls == []
