"""Stock alerts: thresholds per product × warehouse (category defaults), raised once per crossing,
resolved on recovery, mailed once, listed in the admin and on the sales-rep portal (issue #8).

Fails on main: there were no thresholds beyond a bare reorder point, no alerts and no evaluation.
"""

import datetime as dt
import threading

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.db import connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from config.celery import app as celery_app
from config.schedules import BEAT_SCHEDULE
from core.models import OutboxEvent
from core.outbox import outbox_relay
from inventory import alerts
from inventory.alerts import STOCK_ALERT_RAISED, _insert_alerts
from inventory.models import StockAlert, StockAlertKind, StockAlertStatus, StockLevel, StockMovement
from inventory.services import (
    DocumentRef,
    reorder_quantity_suggest,
    stock_adjust,
    stock_alert_notify,
    stock_alert_resolve,
    stock_alerts_evaluate,
    stock_receive,
    stock_release,
    stock_reserve,
    stock_ship,
)
from inventory.tasks import stock_alert_notify_task, stock_alerts_evaluate_task
from inventory.tests.factories import CategoryFactory, ProductFactory, StockLevelFactory, WarehouseFactory

LOW, OVER = StockAlertKind.LOW, StockAlertKind.OVER
OPEN, RESOLVED = StockAlertStatus.OPEN, StockAlertStatus.RESOLVED


def _level(on_hand=20, reorder_point=None, over=None, category=None, **product):
    product = ProductFactory(category=category or CategoryFactory(), **product)
    return StockLevelFactory(
        product=product, on_hand=on_hand, reorder_point=reorder_point, over_stock_threshold=over
    )


def _take(level, quantity):
    stock_adjust(
        product_id=level.product_id, warehouse_id=level.warehouse_id, delta=-quantity, reason="count"
    )


def _put(level, quantity):
    stock_receive(product_id=level.product_id, warehouse_id=level.warehouse_id, quantity=quantity)


def _alerts(level, kind=LOW):
    return list(
        StockAlert.objects.filter(product=level.product, warehouse=level.warehouse, kind=kind)
        .order_by("pk")
        .values_list("status", flat=True)
    )


def run_workers() -> None:
    """What the relay and the workers would do: every pending event to its listeners, tasks run now."""
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        outbox_relay(grace_seconds=0)
    finally:
        celery_app.conf.task_always_eager = saved


# --- crossings -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_crossing_raises_one_alert_a_second_run_none_recovery_resolves_and_a_new_crossing_raises_again(
    no_drift,
):
    # given a row with a low threshold of 10 and 20 available
    level = _level(on_hand=20, reorder_point=10)
    assert stock_alerts_evaluate().raised == []

    # when it falls to the threshold (10 ≤ 10), evaluated twice
    _take(level, 10)
    first = stock_alerts_evaluate()
    second = stock_alerts_evaluate()

    # then one open alert, with the figures of the moment
    assert len(first.raised) == 1
    assert second.raised == []
    alert = StockAlert.objects.get()
    assert (alert.kind, alert.status, alert.available, alert.on_hand, alert.threshold) == (
        LOW,
        OPEN,
        10,
        10,
        10,
    )

    # when stock comes back above it, the alert resolves (recovered), once
    _put(level, 1)
    assert stock_alerts_evaluate().resolved == 1
    assert stock_alerts_evaluate().resolved == 0
    alert.refresh_from_db()
    assert alert.status == RESOLVED
    assert alert.resolved_at
    assert alert.recovered_at
    assert alert.resolved_by is None

    # when it falls again, a new alert is raised
    _take(level, 5)
    assert len(stock_alerts_evaluate().raised) == 1
    assert _alerts(level) == [RESOLVED, OPEN]


@pytest.mark.django_db
def test_reservations_count_against_the_low_threshold():
    level = _level(on_hand=20, reorder_point=10)

    stock_reserve(
        demands=[(level.product_id, level.warehouse_id, 12)], document=DocumentRef("orders.order", 1)
    )
    stock_alerts_evaluate()

    (alert,) = StockAlert.objects.all()
    assert (alert.on_hand, alert.available) == (20, 8)


@pytest.mark.django_db
def test_the_category_default_applies_unless_the_row_has_its_own_threshold():
    # given a category whose rows are low at 5 or below; one row follows it, one has its own 2
    trucks = CategoryFactory(code="trucks", name="Trucks", default_low_stock=5)
    follows = _level(on_hand=4, category=trucks)
    own = _level(on_hand=4, reorder_point=2, category=trucks)
    none = _level(on_hand=0, category=CategoryFactory(code="misc", name="Misc"))

    stock_alerts_evaluate()

    # then only the row following the default (4 ≤ 5) is low; 4 > 2 and a row without any threshold is not
    assert _alerts(follows) == [OPEN]
    assert StockAlert.objects.get().threshold == 5
    assert _alerts(own) == []
    assert _alerts(none) == []


@pytest.mark.django_db
def test_clearing_a_threshold_resolves_its_open_alert():
    level = _level(on_hand=3, reorder_point=5)
    stock_alerts_evaluate()

    StockLevel.objects.filter(pk=level.pk).update(reorder_point=None)
    stock_alerts_evaluate()

    assert _alerts(level) == [RESOLVED]


@pytest.mark.django_db
def test_over_stock_is_raised_above_the_threshold_and_resolved_at_or_below_it():
    bulk = CategoryFactory(code="bulk", name="Bulk", default_over_stock=100)
    level = _level(on_hand=100, category=bulk)
    own = _level(on_hand=150, over=200, category=bulk)
    stock_alerts_evaluate()
    assert _alerts(level, OVER) == []
    assert _alerts(own, OVER) == []

    _put(level, 1)
    stock_alerts_evaluate()
    alert = StockAlert.objects.get()
    assert (alert.kind, alert.on_hand, alert.threshold, alert.suggested_quantity) == (OVER, 101, 100, 0)

    _take(level, 1)
    stock_alerts_evaluate()
    assert _alerts(level, OVER) == [RESOLVED]
    assert _alerts(level, LOW) == []


@pytest.mark.django_db
def test_inactive_products_made_to_order_products_and_inactive_warehouses_are_not_watched():
    _level(on_hand=0, reorder_point=5, is_active=False)
    _level(on_hand=0, reorder_point=5, made_to_order=True)
    closed = _level(on_hand=0, reorder_point=5)
    closed.warehouse.is_active = False
    closed.warehouse.save()

    assert stock_alerts_evaluate().raised == []


@pytest.mark.django_db
def test_an_alert_resolved_by_hand_is_not_raised_again_until_the_level_recovers(admin_user):
    level = _level(on_hand=3, reorder_point=5)
    (alert_id,) = stock_alerts_evaluate().raised

    alert, changed = stock_alert_resolve(alert_id=alert_id, actor=admin_user, note="PO 4711 placed")
    again, changed_again = stock_alert_resolve(alert_id=alert_id, actor=admin_user)

    assert changed
    assert not changed_again
    assert (again.status, again.resolution_note, again.resolved_by) == (
        RESOLVED,
        "PO 4711 placed",
        admin_user,
    )
    # still low: the same crossing raises nothing
    assert stock_alerts_evaluate().raised == []
    # recovered, then low again: a new crossing, a new alert
    _put(level, 10)
    stock_alerts_evaluate()
    alert.refresh_from_db()
    assert alert.recovered_at is not None
    assert alert.resolution_note == "PO 4711 placed"
    _take(level, 10)
    assert len(stock_alerts_evaluate().raised) == 1


@pytest.mark.django_db
def test_a_second_open_alert_for_the_same_row_and_kind_is_skipped_not_an_error():
    level = _level(on_hand=3, reorder_point=5)
    stock_alerts_evaluate()
    row = (level.product_id, level.warehouse_id, LOW, 3, 3, 5, 0)

    assert _insert_alerts([row]) == []
    assert StockAlert.objects.count() == 1


@pytest.mark.django_db
def test_evaluation_takes_a_fixed_number_of_queries_whatever_the_number_of_rows(
    django_assert_max_num_queries,
):
    category = CategoryFactory(code="many", name="Many", default_low_stock=5, default_over_stock=50)
    for _ in range(30):
        _level(on_hand=3, category=category)
        _level(on_hand=60, category=category)

    with django_assert_max_num_queries(12 + 60):  # + one outbox row per raised alert
        result = stock_alerts_evaluate()

    assert len(result.raised) == 60
    with django_assert_max_num_queries(8):
        assert stock_alerts_evaluate().raised == []


def test_the_evaluation_is_scheduled_every_fifteen_minutes_by_default():
    (schedule,) = [
        entry["schedule"]
        for entry in BEAT_SCHEDULE.values()
        if entry["task"] == "inventory.tasks.stock_alerts_evaluate_task"
    ]
    assert schedule == dt.timedelta(minutes=15)


@pytest.mark.django_db
def test_the_periodic_task_evaluates():
    _level(on_hand=1, reorder_point=5)

    assert stock_alerts_evaluate_task.apply().get() == 1
    assert stock_alerts_evaluate_task.apply().get() == 0


# --- suggested reorder quantity ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("demand", "days", "lead", "low", "available", "pack", "expected"),
    [
        (60, 30, 14, 10, 4, 6, 36),  # 2/day × 14 + 10 − 4 = 34 → 6 packs of 6
        (60, 30, 14, 10, 4, 1, 34),
        (0, 30, 14, 10, 4, 1, 6),  # no demand: back up to the threshold
        (10, 30, 14, 0, 0, 1, 5),  # 1/3 a day × 14 = 4.67 → 5
        (0, 30, 14, 5, 9, 1, 0),  # never negative
        (30, 30, 0, 10, 10, 4, 0),
    ],
)
def test_reorder_quantity_suggestion_figures(demand, days, lead, low, available, pack, expected):
    assert (
        reorder_quantity_suggest(
            demand=demand,
            demand_days=days,
            lead_time_days=lead,
            low_threshold=low,
            available=available,
            pack_size=pack,
        )
        == expected
    )


@pytest.mark.django_db
def test_the_suggestion_uses_the_recent_ledger_demand_lead_time_and_pack_size(settings):
    settings.STOCK_ALERT_DEMAND_DAYS = 30
    level = _level(on_hand=100, reorder_point=10, pack_size=6, lead_time_days=14)
    key = (level.product_id, level.warehouse_id)
    # 60 reserved in the window, 36 of them shipped (counted once, not 96), 12 reserved and released
    for number, quantity in ((1, 30), (2, 30)):
        stock_reserve(demands=[(*key, quantity)], document=DocumentRef("orders.order", number))
    stock_ship(demands=[(*key, 36)], document=DocumentRef("orders.order", 1))
    stock_reserve(demands=[(*key, 12)], document=DocumentRef("orders.order", 3))
    stock_release(demands=[(*key, 12)], document=DocumentRef("orders.order", 3))
    # and an old shipment outside the window
    stock_reserve(demands=[(*key, 20)], document=DocumentRef("orders.order", 4))
    stock_ship(demands=[(*key, 20)], document=DocumentRef("orders.order", 4))
    StockMovement.objects.filter(document_id="4").update(created_at=timezone.now() - dt.timedelta(days=31))
    # available: 100 − 36 − 20 shipped − 24 still reserved = 20; down to 4
    _take(level, 16)

    stock_alerts_evaluate()

    # 60 / 30 = 2 a day × 14 days + 10 − 4 = 34 → 36 in packs of 6
    alert = StockAlert.objects.get()
    assert (alert.available, alert.suggested_quantity) == (4, 36)


@pytest.mark.django_db
def test_a_product_without_a_lead_time_uses_the_setting(settings):
    settings.STOCK_ALERT_LEAD_TIME_DAYS = 7
    level = _level(on_hand=40, reorder_point=10, lead_time_days=0)
    stock_reserve(
        demands=[(level.product_id, level.warehouse_id, 30)], document=DocumentRef("orders.order", 1)
    )

    stock_alerts_evaluate()

    # 30 / 30 days = 1 a day × 7 + 10 − 10 = 7
    assert StockAlert.objects.get().suggested_quantity == 7


# --- event and mail ------------------------------------------------------------------------------


def _receiver(username, *, email=None, **extra):
    user = get_user_model().objects.create_user(
        username=username,
        password="x",
        email=email if email is not None else f"{username}@example.com",
        **extra,
    )
    group, _ = Group.objects.get_or_create(name="Stock watchers (test)")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="inventory", codename="view_stockalert")
    )
    user.groups.add(group)
    return user


@pytest.mark.django_db
def test_each_raised_alert_emits_one_event_in_the_same_transaction(
    emitted, django_capture_on_commit_callbacks
):
    level = _level(on_hand=1, reorder_point=5)

    with django_capture_on_commit_callbacks(execute=True):
        (alert_id,) = stock_alerts_evaluate().raised
    with django_capture_on_commit_callbacks(execute=True):
        stock_alerts_evaluate()

    assert emitted == [
        (
            STOCK_ALERT_RAISED,
            {
                "stock_alert_id": alert_id,
                "product_id": level.product_id,
                "warehouse_id": level.warehouse_id,
                "kind": "low",
            },
        )
    ]


@pytest.mark.django_db
def test_the_event_mails_each_holder_of_the_permission_once_even_when_delivered_twice():
    # given two people with the role, one without an address, a plain user, an inactive one, a superuser
    anna, ben = _receiver("anna"), _receiver("ben")
    _receiver("nomail", email="")
    _receiver("gone", is_active=False)
    get_user_model().objects.create_user(username="plain", password="x", email="plain@example.com")
    get_user_model().objects.create_superuser(username="root", password="x", email="root@example.com")
    _level(on_hand=2, reorder_point=5, sku="TRK-1")

    # when the alert is raised and its event is delivered twice (at least once)
    (alert_id,) = stock_alerts_evaluate().raised
    run_workers()
    OutboxEvent.objects.update(dispatched_at=None)
    run_workers()

    # then each of the two got one mail about it
    assert sorted(message.to[0] for message in mail.outbox) == [anna.email, ben.email]
    assert all(message.subject.startswith("Low stock: TRK-1 in ") for message in mail.outbox)
    assert "Suggested reorder: " in mail.outbox[0].body
    assert StockAlert.objects.get(pk=alert_id).notified_at is not None


@pytest.mark.django_db
def test_the_task_run_twice_with_one_event_id_mails_once():
    _receiver("anna")
    alert_id = _raise_one()
    event_id = str(OutboxEvent.objects.get(name=STOCK_ALERT_RAISED).id)

    assert stock_alert_notify_task.apply(kwargs={"alert_id": alert_id, "event_id": event_id}).get() == 1
    StockAlert.objects.filter(pk=alert_id).update(notified_at=None)  # even if the stamp were lost
    assert stock_alert_notify_task.apply(kwargs={"alert_id": alert_id, "event_id": event_id}).get() == 0

    assert len(mail.outbox) == 1


def _raise_one() -> int:
    _level(on_hand=2, reorder_point=5)
    (alert_id,) = stock_alerts_evaluate().raised
    return alert_id


@pytest.mark.django_db
def test_the_mail_is_written_in_the_site_language(settings, monkeypatch):
    settings.LANGUAGE_CODE = "zh-hans"
    _receiver("anna")
    alert_id = _raise_one()
    languages = []

    def gettext(message):
        languages.append(translation.get_language())
        return message

    monkeypatch.setattr(alerts, "_", gettext)
    stock_alert_notify(alert_id=alert_id)

    assert len(mail.outbox) == 1
    assert set(languages) == {"zh-hans"}


@pytest.mark.django_db
def test_no_mail_for_an_alert_resolved_before_the_worker_ran():
    _receiver("anna")
    alert_id = _raise_one()
    stock_alert_resolve(alert_id=alert_id, note="")

    assert stock_alert_notify(alert_id=alert_id, event_id=None) == 0
    assert mail.outbox == []


# --- admin ---------------------------------------------------------------------------------------


def _staff(codenames, username="keeper"):
    user = get_user_model().objects.create_user(username=username, password="x", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="inventory", codename__in=codenames)
    )
    return user


@pytest.fixture
def alert_manager(client):
    client.force_login(
        _staff(
            ["view_stockalert", "change_stockalert", "view_stocklevel", "change_stocklevel", "view_product"]
        )
    )
    return client


@pytest.mark.django_db
def test_the_admin_lists_alerts_with_filters_and_shows_them_read_only(alert_manager):
    low = _level(on_hand=2, reorder_point=5, sku="LOW-1")
    _level(on_hand=300, over=100, sku="OVER-1")
    stock_alerts_evaluate()
    url = reverse("admin:inventory_stockalert_changelist")

    everything = alert_manager.get(url)
    only_low = alert_manager.get(url, {"kind__exact": "low", "status__exact": "open"})
    by_warehouse = alert_manager.get(url, {"warehouse__id__exact": low.warehouse_id})

    assert everything.status_code == 200
    assert b"LOW-1" in everything.content
    assert b"OVER-1" in everything.content
    assert b"LOW-1" in only_low.content
    assert b"OVER-1" not in only_low.content
    assert b"LOW-1" in by_warehouse.content
    assert b"OVER-1" not in by_warehouse.content
    alert = StockAlert.objects.get(kind=LOW)
    change = alert_manager.get(reverse("admin:inventory_stockalert_change", args=[alert.pk]))
    assert change.status_code == 200
    assert b'name="_save"' not in change.content
    posted = alert_manager.post(
        reverse("admin:inventory_stockalert_change", args=[alert.pk]), {"status": "resolved"}
    )
    assert posted.status_code == 403
    assert alert_manager.get(reverse("admin:inventory_stockalert_add")).status_code == 403
    alert.refresh_from_db()
    assert alert.status == OPEN


@pytest.mark.django_db
def test_the_resolve_action_resolves_the_selected_open_alerts_with_the_note(alert_manager):
    first, second = _level(on_hand=2, reorder_point=5), _level(on_hand=1, reorder_point=5)
    stock_alerts_evaluate()
    ids = list(StockAlert.objects.order_by("pk").values_list("pk", flat=True))
    stock_alert_resolve(alert_id=ids[1])

    response = alert_manager.post(
        reverse("admin:inventory_stockalert_changelist"),
        {"action": "resolve", "_selected_action": ids, "note": "ordered from plant", "index": 0},
        follow=True,
    )

    assert response.status_code == 200
    done = StockAlert.objects.get(pk=ids[0])
    assert (done.status, done.resolution_note, done.resolved_by.username) == (
        RESOLVED,
        "ordered from plant",
        "keeper",
    )
    assert StockAlert.objects.get(pk=ids[1]).resolution_note == ""  # already resolved: skipped
    texts = [str(m) for m in response.context["messages"]]
    assert any("1 done" in text for text in texts)
    assert any("1 skipped" in text for text in texts)
    assert _alerts(first) == [RESOLVED]
    assert _alerts(second) == [RESOLVED]


@pytest.mark.django_db
def test_a_viewer_cannot_resolve(client):
    client.force_login(_staff(["view_stockalert"], "viewer"))
    _raise_one()
    alert = StockAlert.objects.get()

    response = client.post(
        reverse("admin:inventory_stockalert_changelist"),
        {"action": "resolve", "_selected_action": [alert.pk], "index": 0},
    )

    assert response.status_code in (200, 302)
    alert.refresh_from_db()
    assert alert.status == OPEN


@pytest.mark.django_db
def test_the_stock_list_flags_low_and_over_rows_by_css_class_and_shows_category_defaults(alert_manager):
    category = CategoryFactory(code="flags", name="Flags", default_low_stock=5)
    _level(on_hand=5, category=category, sku="AT-THRESHOLD")
    _level(on_hand=6, category=category, sku="ABOVE")
    _level(on_hand=101, over=100, reorder_point=0, category=category, sku="TOO-MANY")

    response = alert_manager.get(reverse("admin:inventory_stocklevel_changelist"))

    content = response.content.decode()
    assert content.count('class="stock-flag stock-flag-low"') == 1
    assert content.count('class="stock-flag stock-flag-over"') == 1
    assert "5 (category)" in content
    assert "style=" not in content.split('id="result_list"')[1].split("</table>")[0]


@pytest.mark.django_db
def test_the_stock_list_filters_low_and_over_rows(alert_manager):
    _level(on_hand=5, reorder_point=5, sku="LOW-2")
    _level(on_hand=6, reorder_point=5, over=100, sku="FINE-2")
    _level(on_hand=101, over=100, sku="OVER-2")
    url = reverse("admin:inventory_stocklevel_changelist")

    low = alert_manager.get(url, {"stock": "low"}).content.decode()
    over = alert_manager.get(url, {"stock": "over"}).content.decode()

    assert ("LOW-2" in low, "FINE-2" in low, "OVER-2" in low) == (True, False, False)
    assert ("LOW-2" in over, "FINE-2" in over, "OVER-2" in over) == (False, False, True)


@pytest.mark.django_db
def test_editing_thresholds_in_the_admin_never_writes_the_balances(alert_manager):
    level = StockLevelFactory(on_hand=10, reorder_point=1)
    url = reverse("admin:inventory_stocklevel_change", args=[level.pk])
    alert_manager.get(url)
    # a reservation is made while the form is open
    stock_reserve(
        demands=[(level.product_id, level.warehouse_id, 4)], document=DocumentRef("orders.order", 9)
    )

    response = alert_manager.post(
        url, {"reorder_point": 3, "over_stock_threshold": 50, "on_hand": 999, "reserved": 0}
    )

    assert response.status_code == 302
    level.refresh_from_db()
    assert (level.on_hand, level.reserved, level.reorder_point, level.over_stock_threshold) == (10, 4, 3, 50)


# --- portal --------------------------------------------------------------------------------------


def _portal_user(username, *groups):
    user = get_user_model().objects.create_user(username=username, password="x")
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


@pytest.mark.django_db
def test_a_sales_rep_sees_the_open_low_stock_alerts_on_the_portal_home(client):
    low = _level(on_hand=2, reorder_point=5, sku="LOW-9", name="Pallet jack")
    _level(on_hand=300, over=100, sku="OVER-9")
    recovered = _level(on_hand=2, reorder_point=5, sku="BACK-9")
    stock_alerts_evaluate()
    _put(recovered, 10)
    stock_alerts_evaluate()
    client.force_login(_portal_user("rita", "Sales rep"))

    response = client.get("/portal/")

    content = response.content.decode()
    assert 'id="low-stock-notice"' in content
    assert "LOW-9 Pallet jack" in content
    assert low.warehouse.code in content
    assert "OVER-9" not in content
    assert "BACK-9" not in content


@pytest.mark.django_db
def test_the_notice_is_not_shown_to_others_nor_without_alerts(client):
    _raise_one()
    client.force_login(_portal_user("dora"))
    assert 'id="low-stock-notice"' not in client.get("/portal/").content.decode()

    StockAlert.objects.all().delete()
    client.force_login(_portal_user("rita", "Sales rep"))
    assert 'id="low-stock-notice"' not in client.get("/portal/").content.decode()


@pytest.mark.django_db
def test_the_notice_shows_ten_worst_and_its_queries_do_not_grow_with_the_alerts(client):
    category = CategoryFactory(code="notice", name="Notice", default_low_stock=50)
    for on_hand in range(12):
        _level(on_hand=on_hand, category=category)
    stock_alerts_evaluate()
    client.force_login(_portal_user("rita", "Sales rep"))
    client.get("/portal/")
    with CaptureQueriesContext(connection) as few:
        first = client.get("/portal/").content.decode()
    for on_hand in range(12, 20):
        _level(on_hand=on_hand, category=category)
    stock_alerts_evaluate()
    with CaptureQueriesContext(connection) as more:
        second = client.get("/portal/").content.decode()

    assert len(more.captured_queries) == len(few.captured_queries)
    notices = [page.split('id="low-stock-notice"')[1].split("</section>")[0] for page in (first, second)]
    assert [notice.count('<td class="num">') for notice in notices] == [10, 10]
    assert '<td class="num">0</td>' in notices[1]  # worst first
    assert "2 more not shown." in first
    assert "10 more not shown." in second


# --- concurrency ---------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_evaluations_running_at_once_in_several_threads_raise_one_alert_and_one_event():
    # given five rows just gone low and three whose alerts are open but whose stock came back
    levels = [_level(on_hand=2, reorder_point=5) for _ in range(5)]
    back = [_level(on_hand=2, reorder_point=5) for _ in range(3)]
    StockAlert.objects.bulk_create(
        StockAlert(product=b.product, warehouse=b.warehouse, kind=LOW, on_hand=2, available=2, threshold=5)
        for b in back
    )
    for level in back:
        _put(level, 10)
    barrier = threading.Barrier(4)
    errors = []

    def evaluate():
        try:
            barrier.wait(timeout=10)
            stock_alerts_evaluate()
        except Exception as exc:  # reported to the test
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=evaluate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then no worker failed, each new crossing has one alert and one event, the recovered ones resolved
    assert errors == []
    assert StockAlert.objects.filter(status=OPEN).count() == len(levels)
    assert StockAlert.objects.filter(status=RESOLVED, recovered_at__isnull=False).count() == len(back)
    assert OutboxEvent.objects.filter(name=STOCK_ALERT_RAISED).count() == len(levels)
    connection.close()


# --- migration -----------------------------------------------------------------------------------


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_upgrading_keeps_every_reorder_point_as_the_rows_low_threshold_and_downgrading_restores_zero():
    kept, zero = ProductFactory(), ProductFactory()
    warehouse = WarehouseFactory()
    _migrate([("inventory", "0004_stock_transfers")])
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO inventory_stocklevel"
                " (product_id, warehouse_id, on_hand, reserved, reorder_point, updated_at)"
                " VALUES (%s, %s, 0, 0, 7, CURRENT_TIMESTAMP), (%s, %s, 0, 0, 0, CURRENT_TIMESTAMP)",
                [kept.pk, warehouse.pk, zero.pk, warehouse.pk],
            )
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert dict(StockLevel.objects.values_list("product_id", "reorder_point")) == {kept.pk: 7, zero.pk: 0}
    StockLevel.objects.filter(product=kept).update(reorder_point=None)
    _migrate([("inventory", "0004_stock_transfers")])
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT product_id, reorder_point FROM inventory_stocklevel")
            assert dict(cursor.fetchall()) == {kept.pk: 0, zero.pk: 0}
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
