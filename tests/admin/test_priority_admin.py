"""Priority in the admin: editing the factors' weights, the order page's breakdown, the review queue and
the promotion flag (orders/admin_priority.py)."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from core.models import OutboxEvent
from crm.tests.factories import CustomerFactory
from orders import tasks
from orders.models import Order, OrderEvent, PriorityFactor
from orders.services import order_score_priority
from orders.states import OrderStatus
from orders.tests.factories import make_order, priority_factors
from tests.admin.conftest import staff_in

S = OrderStatus


def _changelist() -> str:
    return reverse("admin:orders_order_changelist")


def _factor_url(factor: PriorityFactor) -> str:
    return reverse("admin:orders_priorityfactor_change", args=[factor.pk])


@pytest.fixture
def factors(db):
    return priority_factors()


@pytest.fixture
def sweeps(monkeypatch):
    """Rescoring sweeps queued (the broker is not involved)."""
    queued = []
    monkeypatch.setattr(tasks.order_rescore_open_task, "delay", lambda **kw: queued.append(kw))
    return queued


def _urgency_form(**overrides) -> dict:
    return {"weight": "40", "bands": "3 100\n7 75\n14 37.5", "later": "12.5", "undated": "0", **overrides}


# --- the factors ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_factor_list_shows_every_weight_and_its_share_of_the_score(manager_client, factors):
    page = manager_client.get(reverse("admin:orders_priorityfactor_changelist")).content.decode()

    for label in ("Customer tier / key account", "Urgency", "Order value", "Age in queue", "Promotion"):
        assert label in page
    # urgency: 40 of 100
    assert '<td class="field-share_of_score">40.0</td>' in page
    assert "within 3 days: 100 %; within 7 days: 75 %" in page


@pytest.mark.django_db
def test_a_manager_changes_a_weight_and_open_orders_are_rescored_after_the_request(
    manager, manager_client, factors, sweeps, django_capture_on_commit_callbacks
):
    order = make_order(requested_delivery_date=timezone.localdate() + dt.timedelta(days=30))
    order_score_priority(order_id=order.pk)
    before = Order.objects.get(pk=order.pk).priority

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(_factor_url(factors["urgency"]), _urgency_form(later="50"))

    assert response.status_code == 302
    urgency = PriorityFactor.objects.get(code="urgency")
    assert (urgency.parameters["later"], urgency.updated_by) == ("50", manager)
    # not in the request: the event queued the sweep
    assert Order.objects.get(pk=order.pk).priority == before
    event = OutboxEvent.objects.get(name="priority_factor.changed")
    assert sweeps == [{"event_id": str(event.pk)}]
    assert "Open orders are being rescored with the new weights in the background." in [
        str(m) for m in get_messages(response.wsgi_request)
    ]

    tasks.order_rescore_open_task(**sweeps[0])
    assert Order.objects.get(pk=order.pk).priority == 20  # 50 % of 40 of 100


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        (
            _urgency_form(bands="3 100\nsoon 75"),
            "bands",
            "Band 2: write the number of days, then the share in %.",
        ),
        (_urgency_form(bands="3 100\n3 75"), "bands", "Band 2: this number of days is already given."),
        (_urgency_form(bands="3 150"), "bands", "Band 1: A share is between 0 and 100 %."),
        (_urgency_form(later="101"), "later", "Ensure this value is less than or equal to 100."),
        (_urgency_form(weight="120"), "weight", "Ensure this value is less than or equal to 100."),
    ],
)
def test_a_bad_value_is_shown_on_its_field_and_nothing_is_saved(
    manager_client, factors, form, field, message, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = manager_client.post(_factor_url(factors["urgency"]), form)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [message]
    assert PriorityFactor.objects.get(code="urgency").parameters == factors["urgency"].parameters
    assert (callbacks, OutboxEvent.objects.filter(name="priority_factor.changed").exists()) == ([], False)


@pytest.mark.django_db
def test_the_last_factor_that_counts_cannot_be_set_to_zero_in_the_form(manager_client, factors):
    PriorityFactor.objects.exclude(code="urgency").update(weight=0)

    response = manager_client.post(_factor_url(factors["urgency"]), _urgency_form(weight="0"))

    assert response.context["adminform"].form.errors["weight"] == [
        "At least one factor must have a weight above 0, or every order would score 0."
    ]
    assert PriorityFactor.objects.get(code="urgency").weight == 40


@pytest.mark.django_db
def test_each_factor_page_offers_that_factors_parameters(manager_client, factors):
    fields = {
        code: set(manager_client.get(_factor_url(factor)).context["adminform"].form.fields)
        for code, factor in factors.items()
    }

    assert fields == {
        "customer": {"weight", "standard", "silver", "gold", "platinum", "key_account"},
        "urgency": {"weight", "bands", "later", "undated"},
        "value": {"weight", "bands"},
        "age": {"weight", "full_after_days"},
        "promotion": {"weight"},
    }


@pytest.mark.django_db
def test_the_customer_factor_takes_a_share_per_tier_and_for_key_accounts(manager_client, factors):
    form = {
        "weight": "30",
        "standard": "0",
        "silver": "25",
        "gold": "50",
        "platinum": "100",
        "key_account": "75",
    }

    response = manager_client.post(_factor_url(factors["customer"]), form)

    assert response.status_code == 302
    assert PriorityFactor.objects.get(code="customer").parameters == {
        "standard": "0",
        "silver": "25",
        "gold": "50",
        "platinum": "100",
        "key_account": "75",
    }


@pytest.mark.django_db
def test_factors_are_neither_added_nor_deleted_and_a_sales_rep_only_reads_them(
    client, manager_client, factors
):
    rep = staff_in("Sales rep")
    client.force_login(rep)

    assert manager_client.get(reverse("admin:orders_priorityfactor_add")).status_code == 403
    assert (
        manager_client.get(
            reverse("admin:orders_priorityfactor_delete", args=[factors["age"].pk])
        ).status_code
        == 403
    )
    assert client.get(_factor_url(factors["age"])).status_code == 200
    client.post(_factor_url(factors["age"]), {"weight": "50", "full_after_days": "5"})
    assert PriorityFactor.objects.get(code="age").weight == 0


# --- the order page and the list ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_order_page_shows_why_the_order_has_its_priority(manager_client, factors):
    order = make_order(
        customer=CustomerFactory(tier="gold"),
        requested_delivery_date=timezone.localdate() + dt.timedelta(days=2),
    )
    order_score_priority(order_id=order.pk)

    page = manager_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()

    assert '<table class="priority-table">' in page
    for text in ("Customer tier / key account", "Gold tier, Dealer", "2 days to the requested delivery date"):
        assert text in page
    assert '<tfoot><tr><th colspan="4">Priority</th><th class="num">60</th>' in page


@pytest.mark.django_db
def test_the_order_list_shows_the_breakdown_on_hover(manager_client, factors):
    order = make_order(requested_delivery_date=timezone.localdate() + dt.timedelta(days=2))
    order_score_priority(order_id=order.pk)

    page = manager_client.get(_changelist()).content.decode()

    assert (
        '<span class="priority" title="Customer tier / key account: 0 (Standard tier, Dealer)\n'
        "Urgency: 40 (2 days to the requested delivery date)\n"
        "Order value: 0 (Total " in page
    )


def _queue(orders) -> list[str]:
    return [o.number for o in orders]


@pytest.mark.django_db
def test_the_review_queue_lists_submitted_and_in_review_orders_by_priority_then_age(manager_client, factors):
    now = timezone.now()
    # given orders waiting for review with their priorities and submission times
    rows = {
        "old_low": (S.SUBMITTED, 20, now - dt.timedelta(days=3)),
        "high": (S.IN_REVIEW, 90, now - dt.timedelta(hours=1)),
        "old_mid": (S.SUBMITTED, 50, now - dt.timedelta(days=2)),
        "new_mid": (S.SUBMITTED, 50, now - dt.timedelta(hours=2)),
        "approved": (S.APPROVED, 99, now - dt.timedelta(days=5)),
    }
    orders = {}
    for name, (status, priority, submitted_at) in rows.items():
        order = make_order(status=status)
        Order.objects.filter(pk=order.pk).update(priority=priority, submitted_at=submitted_at)
        orders[name] = order.number

    queue = manager_client.get(_changelist(), {"queue": "review"}).context["cl"].result_list
    submitted = manager_client.get(_changelist(), {"status__exact": S.SUBMITTED}).context["cl"].result_list

    assert _queue(queue) == [orders[n] for n in ("high", "old_mid", "new_mid", "old_low")]
    assert _queue(submitted) == [orders[n] for n in ("old_mid", "new_mid", "old_low")]


@pytest.mark.django_db
def test_the_full_order_list_keeps_its_newest_first_order(manager_client, factors):
    low, high = make_order(), make_order()
    Order.objects.filter(pk=low.pk).update(priority=1)
    Order.objects.filter(pk=high.pk).update(priority=99)

    listed = manager_client.get(_changelist()).context["cl"].result_list

    assert _queue(listed)[:2] == [high.number, low.number]
    assert manager_client.get(_changelist(), {"queue": "review", "o": "-1"}).status_code == 200


# --- the promotion flag -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_manager_flags_selected_orders_as_promotion_orders(manager, manager_client, factors):
    first, second = make_order(), make_order()

    response = manager_client.post(
        _changelist(), {"action": "flag_promotion", "index": 0, "_selected_action": [first.pk, second.pk]}
    )

    assert response.status_code == 302
    for order in (first, second):
        order.refresh_from_db()
        assert order.is_promotion
        assert order.events.get(kind="order.promotion_changed").actor == manager
        assert order.priority_breakdown  # rescored at once


@pytest.mark.django_db
def test_a_closed_order_is_refused_the_flag_with_a_message(manager_client, factors):
    order = make_order(status=S.COMPLETED)

    response = manager_client.post(
        _changelist(), {"action": "flag_promotion", "index": 0, "_selected_action": [order.pk]}
    )

    order.refresh_from_db()
    assert not order.is_promotion
    assert not OrderEvent.objects.filter(order=order, kind="order.promotion_changed").exists()
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"Order {order.number} can no longer be changed: it is “Completed”."
    ]


@pytest.mark.django_db
def test_a_sales_rep_can_neither_see_nor_run_the_promotion_actions(client, factors):
    order = make_order()
    client.force_login(staff_in("Sales rep"))

    action_form = client.get(_changelist()).context["action_form"]
    client.post(_changelist(), {"action": "flag_promotion", "index": 0, "_selected_action": [order.pk]})

    offered = {name for name, _label in action_form.fields["action"].choices} if action_form else set()
    assert not {"flag_promotion", "clear_promotion"} & offered
    assert not Order.objects.get(pk=order.pk).is_promotion
