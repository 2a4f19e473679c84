"""Review cannot be gone round (issue #9): not by submitting before a rule-relevant field is saved, not by
copying an approved order, not by editing after approval, not by cancel-and-reopen, not by a generic
status change."""

from decimal import Decimal

import pytest

from core.errors import InvalidTransition
from crm.roles import ORDER_MANAGER, SALES_DIRECTOR
from inventory.models import StockLevel
from inventory.tests.factories import ProductFactory
from orders import tasks
from orders.errors import ApprovalRoleRequired, ChangeNeedsReview, OrderNotEditable
from orders.models import ApprovalStatus, Order, OrderApproval, OrderLine
from orders.services import (
    LineChange,
    order_approve,
    order_cancel,
    order_change,
    order_hold,
    order_reject,
    order_release_hold,
    order_reopen,
    order_request_changes,
    order_review_rerun,
    order_submit,
    order_transition,
    order_update,
)
from orders.states import OrderStatus
from orders.tasks import order_review_open_task
from orders.tests.factories import make_order, recount_commitments, stock_and_allocate
from orders.tests.review import make_rule, only_rules, order_worth, staff_in, total_above
from pricing.services import LineRequest

S = OrderStatus
A = ApprovalStatus


@pytest.fixture
def rules(db):
    return only_rules(
        make_rule("Large order", total_above(1_000_000), ORDER_MANAGER),
        make_rule("Very large order", total_above(5_000_000), SALES_DIRECTOR, level=2),
    )


def pending_rules(order) -> list[str]:
    return sorted(
        OrderApproval.objects.filter(order=order, status=A.PENDING).values_list("rule_name", flat=True)
    )


def grow(order, list_price) -> Order:
    """A change of the order's lines after approval, as the change-after-approval flow would write it
    (orders.services.intake refuses it for an approved order); the re-review hook follows."""
    product = ProductFactory(list_price=Decimal(list_price))
    OrderLine.objects.filter(order=order).update(product=product, unit_price=product.list_price)
    line = OrderLine.objects.get(order=order)
    line.net_amount = line.line_total = line.unit_price * line.quantity
    line.save()
    Order.objects.filter(pk=order.pk).update(total=line.line_total, version=order.version + 1)
    recount_commitments()
    return Order.objects.get(pk=order.pk)


# --- submitting before a rule-relevant field is saved --------------------------------------------


def test_the_rules_see_the_order_as_saved_when_the_review_opens_not_as_it_was_submitted(rules):
    order = order_worth(500)  # created submitted, its review not opened yet
    big = ProductFactory(list_price=Decimal("2000000"))
    order_update(order_id=order.pk, lines=[LineRequest(sku=big.sku, quantity=1)])

    # the worker that listens to `order.submitted` opens the review afterwards
    order_review_open_task.apply(kwargs={"order_id": order.pk})
    opened = Order.objects.get(pk=order.pk)

    assert opened.status == S.IN_REVIEW
    assert pending_rules(order) == ["Large order"]


def test_once_the_review_is_open_the_order_cannot_be_changed_under_the_reviewer(rules):
    order = order_submit(order_id=order_worth(2_000_000, submit=False).pk)
    small = ProductFactory(list_price=Decimal("10"))

    with pytest.raises(OrderNotEditable):
        order_update(order_id=order.pk, lines=[LineRequest(sku=small.sku, quantity=1)])


def test_approving_a_submitted_order_evaluates_its_rules_first(rules):
    manager = staff_in(ORDER_MANAGER)
    order = order_worth(6_000_000)

    after = order_approve(order_id=order.pk, actor=manager, expected_version=order.version)

    # the manager's approval counts for level 1; level 2 is still asked
    assert after.status == S.IN_REVIEW
    assert pending_rules(order) == ["Very large order"]


def test_a_generic_status_change_goes_through_the_review(rules):
    order = order_submit(order_id=order_worth(2_000_000, submit=False).pk)
    clerk = staff_in(SALES_DIRECTOR)

    with pytest.raises(ApprovalRoleRequired):
        order_transition(order_id=order.pk, to=S.APPROVED, actor=clerk)

    assert Order.objects.get(pk=order.pk).status == S.IN_REVIEW


# --- copying an approved order -------------------------------------------------------------------


def test_an_order_with_the_same_lines_as_an_approved_one_is_reviewed_again(rules):
    """There is no copy or reorder feature; placing the same order again is a new order with its own
    review, approved by nobody yet."""
    product = ProductFactory(list_price=Decimal("2000000"))
    first = make_order(products=[product])
    order_approve(order_id=first.pk, actor=staff_in(ORDER_MANAGER))
    assert Order.objects.get(pk=first.pk).status == S.APPROVED

    copy = make_order(customer=first.customer, products=[product], submit=False)
    copy = order_submit(order_id=copy.pk)

    assert copy.status == S.IN_REVIEW
    assert pending_rules(copy) == ["Large order"]


# --- editing after approval ------------------------------------------------------------------------


def test_a_change_after_approval_that_matches_a_new_rule_reopens_the_review(rules):
    manager, director = staff_in(ORDER_MANAGER), staff_in(SALES_DIRECTOR)
    order = order_approve(order_id=order_worth(2_000_000).pk, actor=manager)
    assert order.status == S.APPROVED

    changed = grow(order, 6_000_000)
    reopened = order_review_rerun(order_id=order.pk, actor=manager, diff={"lines": "changed"})

    assert reopened.status == S.IN_REVIEW
    assert reopened.version == changed.version + 1
    event = reopened.events.get(kind="order.review_reopened")
    assert (event.from_status, event.to_status) == (S.APPROVED, S.IN_REVIEW)
    # the order manager's approval of this round still stands; only the new rule is asked
    assert pending_rules(order) == ["Very large order"]
    assert order_approve(order_id=order.pk, actor=director).status == S.APPROVED


def test_an_allocated_order_changed_into_a_new_rule_goes_back_to_review(rules):
    order = order_approve(order_id=order_worth(2_000_000).pk, actor=staff_in(ORDER_MANAGER))
    order = stock_and_allocate(order)
    assert order.status == S.ALLOCATED

    grow(order, 6_000_000)

    assert order_review_rerun(order_id=order.pk).status == S.IN_REVIEW


def test_a_change_after_approval_within_the_approved_rules_keeps_the_approval_on_record(rules):
    order = order_approve(order_id=order_worth(2_000_000).pk, actor=staff_in(ORDER_MANAGER))

    grow(order, 3_000_000)
    after = order_review_rerun(order_id=order.pk, diff={"lines": "changed"})

    assert after.status == S.APPROVED
    checked = after.events.filter(kind="order.review_rules_checked").latest("id")
    assert checked.data["new"] == []
    assert checked.data["changed"] == {"lines": "changed"}


def test_the_change_service_sends_an_approved_order_grown_past_a_threshold_back_to_review(rules):
    order = order_approve(order_id=order_worth(2_000_000).pk, actor=staff_in(ORDER_MANAGER))
    line = order.lines.get()

    changed = order_change(
        order_id=order.pk,
        actor=staff_in(ORDER_MANAGER),
        expected_version=order.version,
        lines=[LineChange(line_id=line.pk, quantity=3)],
    )

    assert changed.status == S.IN_REVIEW
    assert pending_rules(order) == ["Very large order"]
    kinds = list(changed.events.order_by("id").values_list("kind", flat=True))
    assert kinds[-3:] == ["order.updated", "order.review_rules_checked", "order.review_reopened"]


def test_a_change_in_production_that_would_need_a_new_approval_is_refused_and_nothing_changes(rules):
    order = order_worth(2_000_000, status=S.IN_PRODUCTION)
    order_product = order.lines.get()
    before = (order.version, order.total, order.events.count(), order_product.quantity)

    with pytest.raises(ChangeNeedsReview) as refused:
        order_change(
            order_id=order.pk,
            actor=staff_in(ORDER_MANAGER),
            expected_version=order.version,
            lines=[LineChange(line_id=order_product.pk, quantity=3)],
        )

    assert refused.value.extra["rules"] == ["Large order", "Very large order"]
    order.refresh_from_db()
    order_product.refresh_from_db()
    assert (order.version, order.total, order.events.count(), order_product.quantity) == before


@pytest.mark.django_db
def test_an_order_approved_before_review_rules_keeps_its_approval_for_the_default_rule():
    order = make_order(status=S.APPROVED)  # no review round on record
    line = order.lines.get()

    changed = order_change(
        order_id=order.pk,
        actor=None,
        expected_version=order.version,
        lines=[LineChange(line_id=line.pk, quantity=2)],
    )

    assert changed.status == S.APPROVED
    assert changed.events.filter(kind="order.review_rules_checked").get().data["new"] == []


def test_an_order_on_hold_changed_into_a_new_rule_resumes_into_review(rules):
    order = order_approve(order_id=order_worth(2_000_000).pk, actor=staff_in(ORDER_MANAGER))
    order_hold(order_id=order.pk, reason="credit check")
    grow(Order.objects.get(pk=order.pk), 6_000_000)

    order_review_rerun(order_id=order.pk)
    released = order_release_hold(order_id=order.pk)

    assert released.status == S.IN_REVIEW
    assert pending_rules(order) == ["Very large order"]


def test_an_automatically_approved_order_changed_into_a_rule_is_reviewed(rules):
    order = order_submit(order_id=order_worth(500, submit=False).pk)
    assert order.status == S.APPROVED

    grow(order, 2_000_000)

    assert order_review_rerun(order_id=order.pk).status == S.IN_REVIEW
    assert pending_rules(order) == ["Large order"]


# --- cancel, reject, reopen ---------------------------------------------------------------------


def test_a_cancelled_order_stays_cancelled_and_its_waiting_steps_lapse(rules):
    order = order_submit(order_id=order_worth(2_000_000, submit=False).pk)

    order_cancel(order_id=order.pk, reason="dealer withdrew")

    assert list(OrderApproval.objects.filter(order=order).values_list("status", flat=True)) == [A.SUPERSEDED]
    for attempt in (
        lambda: order_reopen(order_id=order.pk),
        lambda: order_submit(order_id=order.pk),
        lambda: order_approve(order_id=order.pk, actor=staff_in(ORDER_MANAGER)),
    ):
        with pytest.raises(InvalidTransition):
            attempt()
    assert Order.objects.get(pk=order.pk).status == S.CANCELLED


def test_a_rejected_order_reopened_and_submitted_again_needs_every_approval_anew(rules):
    manager, director = staff_in(ORDER_MANAGER), staff_in(SALES_DIRECTOR)
    order = order_submit(order_id=order_worth(6_000_000, submit=False).pk)
    order_approve(order_id=order.pk, actor=manager)
    order_transition(order_id=order.pk, to=S.REJECTED, actor=director, reason="too big")

    order_reopen(order_id=order.pk)
    again = order_submit(order_id=order.pk)

    assert again.status == S.IN_REVIEW
    assert list(
        OrderApproval.objects.filter(order=order, round=2)
        .values_list("rule_name", "status")
        .order_by("level")
    ) == [("Large order", A.PENDING), ("Very large order", A.PENDING)]
    with pytest.raises(ApprovalRoleRequired):
        order_approve(order_id=order.pk, actor=director)


def test_reopen_is_only_for_rejected_orders_changes_are_requested_instead(rules):
    order = order_submit(order_id=order_worth(2_000_000, submit=False).pk)

    with pytest.raises(InvalidTransition):
        order_reopen(order_id=order.pk)
    assert order_request_changes(order_id=order.pk, actor=None, reason="fix").status == S.DRAFT


def test_a_hold_keeps_the_waiting_steps(rules):
    order = order_submit(order_id=order_worth(2_000_000, submit=False).pk)

    order_hold(order_id=order.pk, reason="credit check")
    released = order_release_hold(order_id=order.pk)

    assert released.status == S.IN_REVIEW
    assert pending_rules(order) == ["Large order"]
    assert order_approve(order_id=order.pk, actor=staff_in(ORDER_MANAGER)).status == S.APPROVED


def test_an_order_on_hold_is_not_approved(rules):
    order = order_submit(order_id=order_worth(2_000_000, submit=False).pk)
    order_hold(order_id=order.pk, reason="credit check")

    with pytest.raises(InvalidTransition):
        order_approve(order_id=order.pk, actor=staff_in(ORDER_MANAGER))


@pytest.fixture
def releases_run(monkeypatch):
    """The release task queued by the listeners runs at once, here: the order ids it was given."""
    ran = []

    def delay(**kwargs):
        ran.append(kwargs["order_id"])
        tasks.order_release_stock_task(**kwargs)

    monkeypatch.setattr(tasks.order_release_stock_task, "delay", delay)
    return ran


@pytest.mark.parametrize(
    "decide", [order_reject, order_request_changes], ids=["rejected", "changes_requested"]
)
def test_an_order_sent_back_to_review_keeps_its_stock_until_review_turns_it_down(
    rules, decide, releases_run, django_capture_on_commit_callbacks
):
    # given an allocated order grown past the next threshold after approval: back in review
    order = order_approve(order_id=order_worth(2_000_000).pk, actor=staff_in(ORDER_MANAGER))
    order = stock_and_allocate(order)
    line = order.lines.get()
    product_id = line.product_id
    changed = order_change(
        order_id=order.pk,
        actor=staff_in(ORDER_MANAGER),
        expected_version=order.version,
        lines=[LineChange(line_id=line.pk, quantity=3)],
    )
    assert changed.status == S.IN_REVIEW
    # the reservation waits for review's decision
    assert StockLevel.objects.get(product_id=product_id).reserved == 1

    # when the director turns it down
    with django_capture_on_commit_callbacks(execute=True):
        decide(order_id=order.pk, actor=staff_in(SALES_DIRECTOR), reason="too large for this dealer")

    # then its stock goes back, once
    assert releases_run == [order.pk]
    assert StockLevel.objects.get(product_id=product_id).reserved == 0
    assert Order.objects.get(pk=order.pk).allocation_status == "released"
