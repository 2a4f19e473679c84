"""Scoring open orders in bulk, the weights' service and the promotion flag (orders.services.priority)."""

import datetime as dt
import threading
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from core import events
from core.errors import ValidationFailed
from core.models import OutboxEvent
from crm.tests.factories import CustomerFactory, UserFactory, dealer_user
from orders import tasks
from orders.errors import OrderNotEditable
from orders.models import Order, OrderEvent, PriorityFactor
from orders.selectors import order_event_list_for_user
from orders.services import (
    order_rescore_open,
    order_score_priority,
    order_set_promotion,
    orders_score,
    priority_factor_update,
)
from orders.states import OrderStatus
from orders.tests.factories import make_order, priority_factors

SCORED = "order.priority_scored"


def _urgent(days: int = 2, **kwargs) -> Order:
    order = make_order(requested_delivery_date=timezone.localdate() + dt.timedelta(days=days), **kwargs)
    Order.objects.filter(pk=order.pk).update(priority=0, priority_breakdown=[])
    return order


@pytest.fixture
def factors(db):
    return priority_factors()


# --- scoring ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_scoring_stores_the_score_with_its_breakdown_and_logs_the_move(factors):
    order = _urgent(days=2, customer=CustomerFactory(tier="gold"))

    assert order_score_priority(order_id=order.pk) == 60

    order.refresh_from_db()
    assert order.priority == 60
    assert [(e["factor"], e["points"], e["fact"]) for e in order.priority_breakdown] == [
        ("customer", 20, {"tier": "gold", "kind": "dealer"}),
        ("urgency", 40, {"days": 2}),
        ("value", 0, {"total": str(order.total), "currency": order.currency}),
    ]
    assert sum(e["points"] for e in order.priority_breakdown) == order.priority
    assert list(OrderEvent.objects.filter(order=order, kind=SCORED).values_list("data", flat=True)) == [
        {"from": 0, "to": 60}
    ]


@pytest.mark.django_db
def test_scoring_again_with_nothing_changed_writes_nothing(factors, django_assert_num_queries):
    order = _urgent()
    order_score_priority(order_id=order.pk)
    updated_at = Order.objects.get(pk=order.pk).updated_at

    # savepoint, weights, orders, release: no lock, no update, no timeline entry
    with django_assert_num_queries(4):
        result = orders_score(order_ids=[order.pk])

    assert (result.written, result.moved) == (0, 0)
    assert OrderEvent.objects.filter(order=order, kind=SCORED).count() == 1
    assert Order.objects.get(pk=order.pk).updated_at == updated_at


@pytest.mark.django_db
def test_a_changed_fact_with_the_same_score_updates_the_breakdown_but_logs_nothing(factors):
    order = _urgent(days=5)
    order_score_priority(order_id=order.pk)
    version = Order.objects.get(pk=order.pk).version

    # a day later: 4 days left, still in the "within 7 days" band
    result = orders_score(order_ids=[order.pk], today=timezone.localdate() + dt.timedelta(days=1))

    order.refresh_from_db()
    assert (result.written, result.moved) == (1, 0)
    assert order.priority_breakdown[1]["fact"] == {"days": 4}
    assert OrderEvent.objects.filter(order=order, kind=SCORED).count() == 1
    # the system's own field: the version a dealer edits against does not move
    assert order.version == version


@pytest.mark.django_db
@pytest.mark.parametrize("status", [OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.REJECTED])
def test_closed_orders_are_neither_scored_nor_logged(factors, status):
    order = make_order(status=status)
    Order.objects.filter(pk=order.pk).update(priority=0)

    result = orders_score(order_ids=[order.pk])

    assert result.ids == []
    assert (Order.objects.get(pk=order.pk).priority, order.events.filter(kind=SCORED).exists()) == (0, False)


@pytest.mark.django_db
@pytest.mark.parametrize("count", [3, 40])
def test_a_rescoring_batch_takes_the_same_few_queries_however_many_orders_it_holds(
    factors, count, django_assert_max_num_queries
):
    # given open orders whose stored scores are all stale
    orders = [
        _urgent(days=n % 20, customer=CustomerFactory(tier=("gold", "silver")[n % 2])) for n in range(count)
    ]

    # savepoint, weights, orders (customer joined), the stale ones under lock, one UPDATE, one INSERT of
    # timeline entries, release
    with django_assert_max_num_queries(7):
        sweep = order_rescore_open(batch=100)

    assert sweep.handled == count
    assert not sweep.more
    assert OrderEvent.objects.filter(kind=SCORED, order__in=orders).count() == count
    for order in Order.objects.filter(pk__in=[o.pk for o in orders]):
        assert order.priority > 0
        assert sum(e["points"] for e in order.priority_breakdown) == order.priority


@pytest.mark.django_db
def test_the_sweep_pages_on_the_order_id(factors):
    orders = [_urgent() for _ in range(5)]

    first = order_rescore_open(batch=2)
    second = order_rescore_open(after=first.after, batch=2)
    third = order_rescore_open(after=second.after, batch=2)

    assert (first.after, second.after) == (orders[1].pk, orders[3].pk)
    assert (third.handled, third.more) == (1, False)
    assert set(OrderEvent.objects.filter(kind=SCORED).values_list("order_id", flat=True)) == {
        o.pk for o in orders
    }


@pytest.mark.django_db
def test_scoring_reads_the_weights_of_now(factors):
    order = _urgent(days=30)
    order_score_priority(order_id=order.pk)
    assert Order.objects.get(pk=order.pk).priority == 5  # later than 14 days: 12.5 % of 40

    PriorityFactor.objects.filter(code__in=["customer", "value"]).update(weight=0)
    order_score_priority(order_id=order.pk)

    order.refresh_from_db()
    assert order.priority == 13  # urgency alone counts: 12.5 % of 100, rounded half up
    assert [e["factor"] for e in order.priority_breakdown] == ["urgency"]


@pytest.mark.django_db
def test_a_database_without_factor_rows_scores_with_the_defaults():
    PriorityFactor.objects.all().delete()
    order = _urgent(days=2, customer=CustomerFactory(tier="gold"))

    assert order_score_priority(order_id=order.pk) == 60


# --- the weights ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_changing_a_weight_saves_it_and_announces_it(factors, django_capture_on_commit_callbacks, emitted):
    manager = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        factor = priority_factor_update(code="promotion", weight=25, parameters={}, actor=manager)

    factor.refresh_from_db()
    assert (factor.weight, factor.updated_by) == (25, manager)
    assert emitted == [("priority_factor.changed", {"priority_factor_id": factor.pk, "code": "promotion"})]


@pytest.mark.django_db
def test_a_weight_change_queues_the_rescoring_sweep_not_the_rescoring_itself(
    factors, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(tasks.order_rescore_open_task, "delay", lambda **kw: queued.append(kw))
    order = _urgent()

    with django_capture_on_commit_callbacks(execute=True):
        priority_factor_update(code="urgency", weight=80, parameters=factors["urgency"].parameters)

    event = OutboxEvent.objects.get(name="priority_factor.changed")
    assert queued == [{"event_id": str(event.pk)}]
    # the request itself rescored nothing
    assert Order.objects.get(pk=order.pk).priority == 0


@pytest.mark.django_db
def test_the_sweep_a_weight_change_starts_rescores_open_orders_with_the_new_weights(factors, monkeypatch):
    monkeypatch.setattr(tasks.order_rescore_open_task, "delay", lambda **kw: None)
    order = _urgent(days=30)
    priority_factor_update(
        code="urgency", weight=40, parameters={**factors["urgency"].parameters, "later": "50"}
    )

    tasks.order_rescore_open_task(event_id="e")

    assert Order.objects.get(pk=order.pk).priority == 20  # 50 % of 40 of 100


@pytest.mark.django_db
def test_parameters_are_stored_in_their_clean_form(factors):
    factor = priority_factor_update(
        code="value",
        weight=30,
        parameters={
            "bands": [{"min_total": "500000.00", "share": "80.0"}, {"min_total": "0", "share": "10"}]
        },
    )

    assert factor.parameters == {
        "bands": [{"min_total": "0", "share": "10"}, {"min_total": "500000", "share": "80"}]
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "weight", "parameters", "fields"),
    [
        ("value", 30, {"bands": [{"min_total": "x", "share": "10"}]}, ["bands"]),
        (
            "urgency",
            101,
            {"bands": [{"within_days": 3, "share": "100"}], "later": "0", "undated": "0"},
            ["weight"],
        ),
        ("age", 10, {"full_after_days": 0}, ["full_after_days"]),
        (
            "customer",
            30,
            {"standard": "0", "silver": "200", "gold": "0", "platinum": "0", "key_account": "-1"},
            ["key_account", "silver"],
        ),
    ],
)
def test_bad_weights_or_parameters_are_refused_and_nothing_changes(
    factors, code, weight, parameters, fields, django_capture_on_commit_callbacks, emitted
):
    before = {f.code: (f.weight, f.parameters) for f in PriorityFactor.objects.all()}

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationFailed) as refused:
        priority_factor_update(code=code, weight=weight, parameters=parameters)

    assert sorted(refused.value.fields) == fields
    assert {f.code: (f.weight, f.parameters) for f in PriorityFactor.objects.all()} == before
    assert emitted == []


@pytest.mark.django_db
def test_the_last_factor_that_counts_cannot_be_set_to_zero(
    factors, emitted, django_capture_on_commit_callbacks
):
    priority_factor_update(code="customer", weight=0, parameters=factors["customer"].parameters)
    priority_factor_update(code="value", weight=0, parameters=factors["value"].parameters)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationFailed) as refused:
        priority_factor_update(code="urgency", weight=0, parameters=factors["urgency"].parameters)

    assert list(refused.value.fields) == ["weight"]
    assert PriorityFactor.objects.get(code="urgency").weight == 40


@pytest.mark.django_db
def test_saving_a_factor_unchanged_announces_nothing(factors, django_capture_on_commit_callbacks, emitted):
    with django_capture_on_commit_callbacks(execute=True):
        priority_factor_update(code="urgency", weight=40, parameters=factors["urgency"].parameters)

    assert emitted == []


# --- the promotion flag -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_flagging_a_promotion_order_logs_who_did_it_and_rescores_it_at_once(factors):
    priority_factor_update(code="promotion", weight=25, parameters={})
    order = _urgent(days=30)
    manager = UserFactory()

    order = order_set_promotion(order_id=order.pk, is_promotion=True, actor=manager)

    assert order.is_promotion
    # (30 × 0 + 40 × 12.5 + 30 × 0 + 25 × 100) / 125 = 24
    assert order.priority == 24
    assert order.priority_breakdown[-1] == {
        "factor": "promotion",
        "weight": 25,
        "share": "100",
        "points": 20,
        "fact": {"is_promotion": True},
    }
    flagged = OrderEvent.objects.get(order=order, kind="order.promotion_changed")
    assert (flagged.actor, flagged.data) == (manager, {"from": False, "to": True})


@pytest.mark.django_db
def test_flagging_an_order_twice_changes_nothing_the_second_time(factors):
    order = make_order()
    order_set_promotion(order_id=order.pk, is_promotion=True)

    order_set_promotion(order_id=order.pk, is_promotion=True)

    assert OrderEvent.objects.filter(order=order, kind="order.promotion_changed").count() == 1


@pytest.mark.django_db
def test_a_closed_order_cannot_be_flagged_and_stays_as_it_was(factors):
    order = make_order(status=OrderStatus.CANCELLED)
    version = order.version

    with pytest.raises(OrderNotEditable):
        order_set_promotion(order_id=order.pk, is_promotion=True)

    order.refresh_from_db()
    assert (order.is_promotion, order.version) == (False, version)
    assert not order.events.filter(kind="order.promotion_changed").exists()


@pytest.mark.django_db
def test_a_dealer_does_not_see_the_promotion_flag_in_the_timeline(factors):
    order = make_order()
    dealer = dealer_user(order.customer)

    order_set_promotion(order_id=order.pk, is_promotion=True)

    kinds = set(order_event_list_for_user(user=dealer, order=order).values_list("kind", flat=True))
    assert "order.submitted" in kinds
    assert "order.promotion_changed" not in kinds


# --- concurrency -------------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_sweep_waits_for_an_order_being_changed_and_scores_what_was_committed(monkeypatch):
    # given a committed open order (follow-up tasks are not under test)
    monkeypatch.setattr(events, "_listeners", defaultdict(list))
    priority_factors()
    order = _urgent(days=30)
    locked, release = threading.Event(), threading.Event()

    def change_the_total():
        # a writer holding the order's lock, as an edit or an allocation does
        try:
            with transaction.atomic():
                Order.objects.select_for_update().get(pk=order.pk)
                locked.set()
                release.wait(10)
                Order.objects.filter(pk=order.pk).update(total=Decimal("2000000.00"))
        finally:
            connection.close()

    def sweep():
        try:
            order_rescore_open(batch=10)
        finally:
            connection.close()

    writer = threading.Thread(target=change_the_total)
    writer.start()
    assert locked.wait(10)
    sweeper = threading.Thread(target=sweep)
    sweeper.start()

    # when the sweep reaches the locked order, it waits for the writer to commit
    sweeper.join(0.5)
    assert sweeper.is_alive()
    release.set()
    writer.join(10)
    sweeper.join(10)

    # then the score is that of the committed total: urgency 5 (12.5 % of 40) + value 30 (100 % of 30)
    order.refresh_from_db()
    assert order.priority == 35
    assert order.priority_breakdown[2]["fact"]["total"] == "2000000.00"
