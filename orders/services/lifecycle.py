"""The order's named status changes, each one call to the lifecycle engine (core.lifecycle)."""

from collections.abc import Set as AbstractSet

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import ValidationFailed
from core.lifecycle import transition
from orders import locks
from orders.errors import (
    ApprovalOfChangedOrder,
    OrderNotEditable,
    SelfApprovalRefused,
    StatusSetByAllocation,
    StatusSetByFulfilment,
)
from orders.models import Order
from orders.states import ALLOCATION_ONLY, FULFILMENT_ONLY, HOLDABLE, LIFECYCLE, OrderStatus, can_change

S = OrderStatus


def _move(
    order_id: int,
    to: str,
    *,
    actor=None,
    reason: str = "",
    data: dict | None = None,
    expected_version: int | None = None,
    changes: dict | None = None,
    locked: Order | None = None,
) -> tuple[Order, bool]:
    """The engine's transition for orders (see core.lifecycle.transition).

    Follow-up work (priority scoring, webhooks) listens to the event the engine emits (orders.apps).
    """
    return transition(
        LIFECYCLE,
        order_id,
        to,
        actor=actor,
        reason=reason,
        data=data,
        expected_version=expected_version,
        changes=changes,
        locked=locked,
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
    if to in (S.REJECTED, S.ON_HOLD, S.CANCELLED) and not reason.strip():
        raise ValidationFailed(fields={"reason": [_("Give a reason.")]})
    order, _changed = _move(order_id, to, actor=actor, reason=reason, expected_version=expected_version)
    return order


def order_submit(*, order_id: int, actor=None) -> Order:
    """Submit a draft for review. Raises InvalidTransition."""
    return _move(order_id, S.SUBMITTED, actor=actor)[0]


def order_start_review(*, order_id: int, actor=None) -> Order:
    """Take a submitted order into review. Raises InvalidTransition."""
    return _move(order_id, S.IN_REVIEW, actor=actor)[0]


def order_approve(
    *, order_id: int, actor=None, reason: str = "", expected_version: int | None = None
) -> Order:
    """Approve a submitted or in-review order; enqueues allocation work through `order.approved`.

    An approval is of the version the reviewer saw: with `expected_version` (every screen sends the
    version it showed), an order changed meanwhile is refused with ApprovalOfChangedOrder (409).
    Nobody approves an order they entered themselves: SelfApprovalRefused (403).
    Raises InvalidTransition (409) from any other status; nothing is written on a refusal.
    """
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        if expected_version is not None and order.version != expected_version and order.status != S.APPROVED:
            raise ApprovalOfChangedOrder(
                order_number=order.number, seen=expected_version, current=order.version
            )
        own = getattr(actor, "pk", None) is not None and order.created_by_id == actor.pk
        if own and order.status != S.APPROVED:
            raise SelfApprovalRefused(order_number=order.number)
        return _move(order_id, S.APPROVED, actor=actor, reason=reason, locked=order)[0]


def order_reject(*, order_id: int, actor=None, reason: str) -> Order:
    """Reject an order (a reason is required). Raises InvalidTransition, ValidationFailed."""
    return order_transition(order_id=order_id, to=S.REJECTED, actor=actor, reason=reason)


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
    the order's lock; None: wherever the lifecycle allows it.
    Raises InvalidTransition (409) once the order is ready to ship or beyond, OrderNotEditable (409)
    outside `within`.
    """
    with transaction.atomic():
        if within is not None:
            order = locks.order_for_update(order_id)
            held_from = order.status_before_hold
            if order.status != S.CANCELLED and not can_change(
                order.status, status_before_hold=held_from, within=within
            ):
                raise OrderNotEditable(order=order, by_managers=LIFECYCLE.allows(order, S.CANCELLED))
        return order_transition(
            order_id=order_id, to=S.CANCELLED, actor=actor, reason=reason, expected_version=expected_version
        )


def order_reopen(*, order_id: int, actor=None, reason: str = "") -> Order:
    """Return a rejected order to draft so it can be corrected and submitted again."""
    return _move(order_id, S.DRAFT, actor=actor, reason=reason)[0]
