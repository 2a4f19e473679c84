"""Multi-level review (orders.services.review): rounds opened from the rules, sequential levels with
parallel steps, rejection and requested changes, and the refusals that write nothing."""

import pytest
from django.utils import translation

from core.errors import InvalidTransition, ValidationFailed
from core.models import Notification
from crm.roles import FINANCE, ORDER_MANAGER, PRODUCTION_SCHEDULER, SALES_DIRECTOR
from crm.tests.factories import CustomerFactory, UserFactory, dealer_user
from orders import tasks
from orders.errors import (
    ApprovalOfChangedOrder,
    ApprovalRoleRequired,
    ReviewDecisionOfChangedOrder,
    SelfApprovalRefused,
)
from orders.models import ApprovalStatus, Order, OrderApproval, OrderEvent
from orders.services import (
    order_approve,
    order_hold,
    order_reject,
    order_release_hold,
    order_request_changes,
    order_review_open,
    order_submit,
)
from orders.states import OrderStatus
from orders.tests.factories import make_order
from orders.tests.review import make_rule, only_rules, order_worth, staff_in, total_above
from orders.timeline import event_sentences

S = OrderStatus
A = ApprovalStatus
CUSTOM = {"all": [{"field": "has_custom_build_line", "op": "is_true"}]}


def snapshot(order: Order):
    """What a refusal must leave untouched: the order, its timeline, its steps, its notices."""
    order = Order.objects.get(pk=order.pk)
    steps = list(
        OrderApproval.objects.filter(order=order).order_by("pk").values_list("pk", "status", "decided_by")
    )
    return (
        order.status,
        order.version,
        OrderEvent.objects.filter(order=order).count(),
        steps,
        Notification.objects.count(),
    )


@pytest.fixture
def rules(db):
    """total > 1 M → order manager (1); > 5 M → sales director (2); custom build → scheduler (1)."""
    return only_rules(
        make_rule("Large order", total_above(1_000_000), ORDER_MANAGER),
        make_rule("Very large order", total_above(5_000_000), SALES_DIRECTOR, level=2),
        make_rule("Custom build", CUSTOM, PRODUCTION_SCHEDULER),
    )


def steps_of(order):
    return list(
        OrderApproval.objects.filter(order=order)
        .order_by("round", "level", "rule_name")
        .values_list("round", "level", "rule_name", "role_name", "status")
    )


# --- opening a round -------------------------------------------------------------------------


def test_an_order_no_rule_matches_is_approved_automatically_and_the_timeline_names_the_rules(rules):
    order = order_worth(500, submit=False)

    submitted = order_submit(order_id=order.pk)

    assert submitted.status == S.APPROVED
    approved = submitted.events.get(kind="order.approved")
    assert (approved.actor, approved.from_status) == (None, S.SUBMITTED)
    assert event_sentences(approved) == ["Approved automatically: no review rule matched."]
    checked = submitted.events.get(kind="order.review_rules_checked")
    assert checked.data["checked"] == ["Custom build", "Large order", "Very large order"]
    assert checked.data["matched"] == []
    assert event_sentences(checked) == [
        "No review rule matched. Rules checked: Custom build, Large order, Very large order."
    ]
    # the system's decision is on record like a person's
    step = OrderApproval.objects.get(order=order)
    assert (step.level, step.status, step.decided_by, step.order_version) == (0, A.APPROVED, None, 2)


def test_matching_rules_put_the_order_in_review_with_a_step_each(rules):
    order = order_worth(6_000_000, submit=False)

    submitted = order_submit(order_id=order.pk)

    assert submitted.status == S.IN_REVIEW
    assert steps_of(order) == [
        (1, 1, "Large order", ORDER_MANAGER, A.PENDING),
        (1, 2, "Very large order", SALES_DIRECTOR, A.PENDING),
    ]
    assert event_sentences(submitted.events.get(kind="order.in_review")) == [
        "Waiting for approval by: Order manager (level 1), Sales director (level 2)."
    ]
    # told in the reader's language, from the entry's data
    with translation.override("zh-hans"):
        (waiting,) = event_sentences(submitted.events.get(kind="order.in_review"))
    assert "订单经理" in waiting
    assert OrderApproval.objects.get(order=order, level=1).facts == {"order_total": str(submitted.total)}


def test_an_order_created_submitted_is_reviewed_when_its_review_opens(rules):
    order = order_worth(2_000_000)
    assert order.status == S.SUBMITTED

    opened = order_review_open(order_id=order.pk)
    again = order_review_open(order_id=order.pk)

    assert (opened.status, again.version) == (S.IN_REVIEW, opened.version)
    assert [s[2] for s in steps_of(order)] == ["Large order"]


# --- sequential and parallel levels ------------------------------------------------------------


def test_levels_are_sequential_and_the_steps_of_one_level_parallel(rules):
    manager, scheduler, director = (
        staff_in(ORDER_MANAGER),
        staff_in(PRODUCTION_SCHEDULER),
        staff_in(SALES_DIRECTOR),
    )
    order = order_worth(6_000_000, submit=False)
    order.lines.update(is_custom_build=True)
    order = order_submit(order_id=order.pk)
    version = order.version

    # level 2 waits for level 1
    before = snapshot(order)
    with pytest.raises(ApprovalRoleRequired) as early:
        order_approve(order_id=order.pk, actor=director, expected_version=version)
    assert early.value.extra == {
        "order": order.number,
        "level": 1,
        "roles": [PRODUCTION_SCHEDULER, ORDER_MANAGER],
    }
    assert "first needs the level-1 approval" in str(early.value.message)
    assert snapshot(order) == before

    # level 1's two steps, in either order, by their own roles; the version does not move meanwhile
    after_scheduler = order_approve(order_id=order.pk, actor=scheduler, expected_version=version)
    assert (after_scheduler.status, after_scheduler.version) == (S.IN_REVIEW, version)
    after_manager = order_approve(order_id=order.pk, actor=manager, reason="fine", expected_version=version)
    assert after_manager.status == S.IN_REVIEW
    assert [(s[2], s[4]) for s in steps_of(order)] == [
        ("Custom build", A.APPROVED),
        ("Large order", A.APPROVED),
        ("Very large order", A.PENDING),
    ]

    approved = order_approve(order_id=order.pk, actor=director, expected_version=version)

    assert approved.status == S.APPROVED
    step = OrderApproval.objects.get(order=order, rule_name="Large order")
    assert (step.decided_by, step.comment, step.order_version) == (manager, "fine", version)
    assert step.decided_at is not None
    kinds = list(order.events.order_by("id").values_list("kind", flat=True))
    assert kinds[-3:] == ["order.review_step_approved", "order.review_step_approved", "order.approved"]


def test_one_person_in_two_groups_approves_both_steps_of_a_level(rules):
    both = staff_in(ORDER_MANAGER, PRODUCTION_SCHEDULER)
    order = order_worth(2_000_000, submit=False)
    order.lines.update(is_custom_build=True)
    order_submit(order_id=order.pk)

    assert order_approve(order_id=order.pk, actor=both).status == S.APPROVED


def test_a_superuser_acts_for_any_role_one_level_at_a_time(rules):
    admin = UserFactory(is_superuser=True, is_staff=True)
    order = order_submit(order_id=order_worth(6_000_000, submit=False).pk)

    assert order_approve(order_id=order.pk, actor=admin).status == S.IN_REVIEW
    assert order_approve(order_id=order.pk, actor=admin).status == S.APPROVED


# --- refusals -------------------------------------------------------------------------------


def test_the_wrong_role_is_refused_and_nothing_changes(rules):
    order = order_submit(order_id=order_worth(2_000_000, submit=False).pk)
    before = snapshot(order)

    with pytest.raises(ApprovalRoleRequired) as refused:
        order_approve(order_id=order.pk, actor=staff_in(FINANCE), expected_version=order.version)

    assert refused.value.status == 403
    assert refused.value.code == "approval_role_required"
    assert str(refused.value.message) == (
        f"Order {order.number} waits for approval by Order manager (level 1): you are not in that group."
    )
    assert snapshot(order) == before


def test_nobody_approves_their_own_order_even_holding_the_role(rules):
    manager = staff_in(ORDER_MANAGER)
    order = order_worth(2_000_000, submit=False, actor=manager)
    order = order_submit(order_id=order.pk, actor=manager)
    before = snapshot(order)

    with pytest.raises(SelfApprovalRefused):
        order_approve(order_id=order.pk, actor=manager, expected_version=order.version)

    assert snapshot(order) == before


def test_a_version_the_approver_did_not_see_is_refused_and_nothing_changes(rules):
    order = order_submit(order_id=order_worth(2_000_000, submit=False).pk)
    Order.objects.filter(pk=order.pk).update(version=order.version + 1)
    before = snapshot(order)

    with pytest.raises(ApprovalOfChangedOrder) as refused:
        order_approve(order_id=order.pk, actor=staff_in(ORDER_MANAGER), expected_version=order.version)

    assert refused.value.status == 409
    assert snapshot(order) == before


def test_a_draft_cannot_be_approved(rules):
    order = order_worth(2_000_000, submit=False)
    before = snapshot(order)

    with pytest.raises(InvalidTransition):
        order_approve(order_id=order.pk, actor=staff_in(ORDER_MANAGER))

    assert snapshot(order) == before


# --- rejection and requested changes --------------------------------------------------------


def test_rejection_at_level_2_ends_the_round_with_the_reasons(rules):
    rep = UserFactory()
    customer = CustomerFactory(sales_rep=rep)
    dealer = dealer_user(customer)
    manager, director = staff_in(ORDER_MANAGER), staff_in(SALES_DIRECTOR)
    order = order_submit(order_id=order_worth(6_000_000, submit=False, customer=customer, actor=dealer).pk)
    order_approve(order_id=order.pk, actor=manager)

    rejected = order_reject(
        order_id=order.pk,
        actor=director,
        reason="Margin too thin at this size.",
        expected_version=order.version,
    )

    assert rejected.status == S.REJECTED
    step = OrderApproval.objects.get(order=order, level=2)
    assert (step.status, step.decided_by, step.comment) == (
        A.REJECTED,
        director,
        "Margin too thin at this size.",
    )
    event = rejected.events.get(kind="order.rejected")
    assert (event.note, event.data) == ("Margin too thin at this size.", {"round": 1, "level": 2})
    # the author (the dealer's user), the rep and the customer's dealer users hear of it, once each
    notices = Notification.objects.filter(kind="order.rejected")
    assert {n.user for n in notices} == {rep, dealer}
    assert notices.first().context["reason"] == "Margin too thin at this size."


def test_a_reviewer_without_a_waiting_step_cannot_reject(rules):
    order = order_submit(order_id=order_worth(2_000_000, submit=False).pk)
    before = snapshot(order)

    with pytest.raises(ApprovalRoleRequired):
        order_reject(order_id=order.pk, actor=staff_in(FINANCE), reason="no")

    assert snapshot(order) == before


def test_a_rejection_needs_a_reason_and_a_current_version(rules):
    order = order_submit(order_id=order_worth(2_000_000, submit=False).pk)
    before = snapshot(order)
    manager = staff_in(ORDER_MANAGER)

    with pytest.raises(ValidationFailed):
        order_reject(order_id=order.pk, actor=manager, reason="  ")
    with pytest.raises(ReviewDecisionOfChangedOrder):
        order_reject(order_id=order.pk, actor=manager, reason="no", expected_version=order.version - 1)

    assert snapshot(order) == before


def test_requesting_changes_sends_the_order_back_to_draft_and_resubmitting_starts_a_new_round(rules):
    rep = UserFactory()
    customer = CustomerFactory(sales_rep=rep)
    manager = staff_in(ORDER_MANAGER)
    order = order_submit(order_id=order_worth(2_000_000, submit=False, customer=customer).pk)

    back = order_request_changes(order_id=order.pk, actor=manager, reason="Split the delivery in two.")

    assert back.status == S.DRAFT
    event = back.events.get(kind="order.changes_requested")
    assert (event.from_status, event.to_status, event.note) == (
        S.IN_REVIEW,
        S.DRAFT,
        "Split the delivery in two.",
    )
    assert steps_of(order) == [(1, 1, "Large order", ORDER_MANAGER, A.CHANGES_REQUESTED)]
    assert Notification.objects.get(kind="order.changes_requested").user == rep

    again = order_submit(order_id=order.pk)

    assert again.status == S.IN_REVIEW
    assert steps_of(order)[-1] == (2, 1, "Large order", ORDER_MANAGER, A.PENDING)


def test_the_approvers_of_the_next_level_are_told_when_it_is_their_turn(rules):
    manager = staff_in(ORDER_MANAGER)
    director, away = staff_in(SALES_DIRECTOR), staff_in(SALES_DIRECTOR, is_active=False)
    order = order_submit(order_id=order_worth(6_000_000, submit=False).pk)
    first = set(Notification.objects.filter(kind="review.pending").values_list("user", flat=True))

    order_approve(order_id=order.pk, actor=manager)

    second = Notification.objects.filter(kind="review.pending").exclude(user__in=first)
    assert manager.pk in first
    assert [n.user for n in second] == [director]
    assert away not in {n.user for n in second}
    assert second.get().context["level"] == 2
    assert second.get().link == f"/admin/orders/order/{order.pk}/review/"


def test_approval_tells_the_rep_and_the_dealer_users(rules):
    rep = UserFactory()
    customer = CustomerFactory(sales_rep=rep)
    dealer = dealer_user(customer)
    order = order_submit(order_id=order_worth(2_000_000, submit=False, customer=customer).pk)

    order_approve(order_id=order.pk, actor=staff_in(ORDER_MANAGER))

    notices = Notification.objects.filter(kind="order.approved")
    assert {n.user for n in notices} == {rep, dealer}
    assert {n.link for n in notices} == {f"/portal/orders/{order.number}/"}


@pytest.mark.django_db
def test_the_default_rule_asks_an_order_manager_for_every_order():
    order = make_order()

    opened = order_review_open(order_id=order.pk)

    assert opened.status == S.IN_REVIEW
    assert steps_of(order) == [(1, 1, "Every order", ORDER_MANAGER, A.PENDING)]


@pytest.mark.django_db
def test_an_order_placed_submitted_or_resumed_to_submitted_has_its_review_opened_by_a_worker(
    monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    for task in (tasks.order_submitted_task, tasks.order_review_open_task):
        monkeypatch.setattr(
            task, "delay", lambda _name=task.name, **kwargs: queued.append((_name, kwargs["order_id"]))
        )
    with django_capture_on_commit_callbacks(execute=True):
        placed = make_order()
    held = make_order()
    with django_capture_on_commit_callbacks(execute=True):
        order_hold(order_id=held.pk, reason="credit check")
        order_release_hold(order_id=held.pk)

    # a new order: scored and its review opened, one message for both; a resumed one: its review
    assert queued == [
        (tasks.order_submitted_task.name, placed.pk),
        (tasks.order_review_open_task.name, held.pk),
    ]
    # and the worker's task opens the review (its scoring is idempotent)
    tasks.order_submitted_task.apply(kwargs={"order_id": placed.pk})
    assert Order.objects.get(pk=placed.pk).status == S.IN_REVIEW
