"""The order's named status changes, each one call to the lifecycle engine (core.lifecycle)."""

from collections.abc import Set as AbstractSet

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import ValidationFailed
from orders import locks
from orders.errors import (
    BuildsNotReady,
    OrderNotEditable,
    StatusSetByAllocation,
    StatusSetByFulfilment,
    StatusSetByProduction,
)
from orders.models import Order, OrderLine
from orders.services.moves import _move
from orders.services.review import (
    order_approve,
    order_reject,
    order_request_changes,
    order_review_open,
    order_submit,
    review_close,
)
from orders.states import (
    ALLOCATION_ONLY,
    FULFILMENT_ONLY,
    HOLDABLE,
    LIFECYCLE,
    PRODUCTION_ONLY,
    OrderStatus,
    can_change,
)

S = OrderStatus


def _check_builds_ready(order_id: int) -> None:
    """Built lines are ready when production has received and reserved their units to the order
    (orders.services.production.order_line_receive_built); until then the order cannot ship."""
    waiting = [
        f"{line.position} {line.sku}"
        for line in OrderLine.objects.filter(order_id=order_id).select_related("product").order_by("position")
        if not line.from_stock and line.quantity_allocated < line.quantity
    ]
    if waiting:
        raise BuildsNotReady(
            order_number=Order.objects.values_list("number", flat=True).filter(pk=order_id).first()
            or str(order_id),
            lines=waiting,
        )


def order_transition(
    *, order_id: int, to: str, actor=None, reason: str = "", expected_version: int | None = None
) -> Order:
    """Move an order to any status the lifecycle allows (admin actions, tests). See `_move`.

    Raises InvalidTransition (409) for a move the table forbids, StatusSetByFulfilment (409) for the
    shipping statuses logistics sets, StatusSetByAllocation (409) for "allocated",
    ConcurrentModification (409), NotFound (404), ValidationFailed.
    """
    if to not in S.values:
        raise ValidationFailed(fields={"status": [_("Unknown status.")]})
    if to in FULFILMENT_ONLY:
        raise StatusSetByFulfilment(
            order_number=Order.objects.values_list("number", flat=True).filter(pk=order_id).first()
            or str(order_id),
            target=to,
        )
    if to in ALLOCATION_ONLY:
        raise StatusSetByAllocation(
            order_number=Order.objects.values_list("number", flat=True).filter(pk=order_id).first()
            or str(order_id)
        )
    if to in PRODUCTION_ONLY:
        raise StatusSetByProduction(
            order_number=Order.objects.values_list("number", flat=True).filter(pk=order_id).first()
            or str(order_id)
        )
    if to == S.READY_TO_SHIP:
        _check_builds_ready(order_id)
    if to in (S.REJECTED, S.ON_HOLD, S.CANCELLED) and not reason.strip():
        raise ValidationFailed(fields={"reason": [_("Give a reason.")]})
    # Review moves go through the review (orders.services.review): approval needs the steps' roles, a
    # submitted order has its rules evaluated; no generic move goes round them. An order on hold only
    # resumes (or is cancelled), as the table says.
    current = Order.objects.filter(pk=order_id).values_list("status", flat=True).first()
    if current == S.ON_HOLD and to != S.CANCELLED:
        return _move(order_id, to, actor=actor, reason=reason, expected_version=expected_version)[0]
    if to == S.APPROVED:
        return order_approve(order_id=order_id, actor=actor, reason=reason, expected_version=expected_version)
    if to == S.REJECTED:
        return order_reject(order_id=order_id, actor=actor, reason=reason, expected_version=expected_version)
    if to == S.IN_REVIEW:
        return order_start_review(order_id=order_id, actor=actor)
    if to == S.SUBMITTED:
        return order_submit(order_id=order_id, actor=actor)
    if to == S.DRAFT and current in (S.SUBMITTED, S.IN_REVIEW):
        return order_request_changes(
            order_id=order_id, actor=actor, reason=reason, expected_version=expected_version
        )
    if to == S.CANCELLED:
        return order_cancel(order_id=order_id, actor=actor, reason=reason, expected_version=expected_version)
    order, _changed = _move(order_id, to, actor=actor, reason=reason, expected_version=expected_version)
    return order


def order_start_review(*, order_id: int, actor=None) -> Order:
    """Open the review of a submitted order now (the rules are evaluated; see order_review_open)."""
    return order_review_open(order_id=order_id, actor=actor)


def order_hold(*, order_id: int, actor=None, reason: str) -> Order:
    """Put an order on hold; it remembers where it was and resumes there."""
    return order_transition(order_id=order_id, to=S.ON_HOLD, actor=actor, reason=reason)


def order_release_hold(*, order_id: int, actor=None, reason: str = "") -> Order:
    """Resume an order on hold to the status it was held from. Raises InvalidTransition if not on hold."""
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        if order.status != S.ON_HOLD or order.status_before_hold not in HOLDABLE:
            raise LIFECYCLE.refusal(order, order.status_before_hold or S.SUBMITTED)
        return _move(order_id, order.status_before_hold, actor=actor, reason=reason)[0]


def order_cancel(
    *,
    order_id: int,
    actor=None,
    reason: str,
    expected_version: int | None = None,
    within: AbstractSet[str] | None = None,
) -> Order:
    """Cancel an order before anything has shipped (a reason is required).

    `within`: the statuses this caller may cancel in (a sales rep: BEFORE_APPROVAL), checked under
    the order's lock; None: wherever the lifecycle allows it. Waiting review steps lapse.
    Raises InvalidTransition (409) once the order is ready to ship or beyond, OrderNotEditable (409)
    outside `within`, ValidationFailed without a reason.
    """
    if not reason.strip():
        raise ValidationFailed(fields={"reason": [_("Give a reason.")]})
    with transaction.atomic():
        if within is not None:
            order = locks.order_for_update(order_id)
            held_from = order.status_before_hold
            if order.status != S.CANCELLED and not can_change(
                order.status, status_before_hold=held_from, within=within
            ):
                raise OrderNotEditable(order=order, by_managers=LIFECYCLE.allows(order, S.CANCELLED))
        order, _changed = _move(
            order_id, S.CANCELLED, actor=actor, reason=reason, expected_version=expected_version
        )
        review_close(order=order)
        return order


def order_reopen(*, order_id: int, actor=None, reason: str = "") -> Order:
    """Return a rejected order to draft so it can be corrected and submitted again (a new review round).

    Raises InvalidTransition from any other status (a reviewer sends an order under review back with
    order_request_changes).
    """
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        if order.status not in (S.REJECTED, S.DRAFT):
            raise LIFECYCLE.refusal(order, S.DRAFT)
        return _move(order_id, S.DRAFT, actor=actor, reason=reason, locked=order)[0]
