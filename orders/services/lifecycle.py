"""The lifecycle: the one `_transition` gate and the named status changes built on it."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import events
from core.errors import ConcurrentModification, ValidationFailed
from orders import locks
from orders.errors import (
    InvalidTransition,
    StatusSetByFulfilment,
)
from orders.models import Order, OrderEvent
from orders.states import FULFILMENT_ONLY, HOLDABLE, OrderStatus, allowed_targets

S = OrderStatus


def _after_commit_status(order: Order, status: str, *, event: str | None = None) -> None:
    # Priority scoring follows from the event (orders.apps), through the outbox.
    events.emit(
        f"order.{event or status}",
        order_id=order.pk,
        number=order.number,
        customer_id=order.customer_id,
        status=status,
    )


def _transition(
    order_id: int,
    to: str,
    *,
    actor=None,
    reason: str = "",
    data: dict | None = None,
    expected_version: int | None = None,
) -> tuple[Order, bool]:
    """Move an order to `to` if the table allows it; the one place a status changes.

    Locks the row, checks the table, stamps `<to>_at`, bumps the version, writes the timeline event
    in the same transaction and registers follow-up work on commit. Asking for the current status
    is a no-op (retries are safe).
    """
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        if order.status == to:
            return order, False
        if expected_version is not None and expected_version != order.version:
            raise ConcurrentModification(extra={"current_version": order.version})
        if to not in allowed_targets(order.status, status_before_hold=order.status_before_hold):
            raise InvalidTransition(order=order, target=to)
        from_status = order.status
        now = timezone.now()
        order.status = to
        fields = ["status", "version", "updated_at"]
        resumed = from_status == S.ON_HOLD and to != S.CANCELLED
        # Resuming is not reaching the status again: keep its first stamp (approved_at, …).
        if to != S.DRAFT and not resumed:
            setattr(order, f"{to}_at", now)
            fields.append(f"{to}_at")
        if to == S.ON_HOLD:
            order.status_before_hold = from_status
            fields.append("status_before_hold")
        elif from_status == S.ON_HOLD:
            order.status_before_hold = ""
            fields.append("status_before_hold")
        order.version += 1
        order.save(update_fields=fields)
        kind = "order.released" if resumed else f"order.{to}"
        OrderEvent.record(
            order=order, kind=kind, actor=actor, from_status=from_status, to_status=to, note=reason, data=data
        )
        # A resumed order announces `order.released`, not a second `order.<to>` (webhooks would
        # deliver a duplicate approval a dealer cannot tell apart).
        _after_commit_status(order, to, event="released" if resumed else to)
    return order, True


def order_transition(
    *, order_id: int, to: str, actor=None, reason: str = "", expected_version: int | None = None
) -> Order:
    """Move an order to any status the lifecycle allows (admin actions, tests). See `_transition`.

    Raises InvalidTransition (409) for a move the table forbids, ConcurrentModification (409).
    """
    if to not in S.values:
        raise ValidationFailed(fields={"status": [_("Unknown status.")]})
    if to in FULFILMENT_ONLY:
        raise StatusSetByFulfilment(
            order_number=Order.objects.values_list("number", flat=True).filter(pk=order_id).first()
            or str(order_id),
            target=to,
        )
    if to in (S.REJECTED, S.ON_HOLD, S.CANCELLED) and not reason.strip():
        raise ValidationFailed(fields={"reason": [_("Give a reason.")]})
    order, _changed = _transition(order_id, to, actor=actor, reason=reason, expected_version=expected_version)
    return order


def order_submit(*, order_id: int, actor=None) -> Order:
    """Submit a draft for review. Raises InvalidTransition."""
    return _transition(order_id, S.SUBMITTED, actor=actor)[0]


def order_start_review(*, order_id: int, actor=None) -> Order:
    """Take a submitted order into review. Raises InvalidTransition."""
    return _transition(order_id, S.IN_REVIEW, actor=actor)[0]


def order_approve(*, order_id: int, actor=None, reason: str = "") -> Order:
    """Approve a submitted or in-review order; enqueues allocation work through `order.approved`."""
    return _transition(order_id, S.APPROVED, actor=actor, reason=reason)[0]


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
            raise InvalidTransition(order=order, target=order.status_before_hold or S.SUBMITTED)
        return _transition(order_id, order.status_before_hold, actor=actor, reason=reason)[0]


def order_cancel(*, order_id: int, actor=None, reason: str, expected_version: int | None = None) -> Order:
    """Cancel an order before anything has shipped (a reason is required).

    Raises InvalidTransition (409) once the order is ready to ship or beyond.
    """
    return order_transition(
        order_id=order_id, to=S.CANCELLED, actor=actor, reason=reason, expected_version=expected_version
    )


def order_reopen(*, order_id: int, actor=None, reason: str = "") -> Order:
    """Return a rejected order to draft so it can be corrected and submitted again."""
    return _transition(order_id, S.DRAFT, actor=actor, reason=reason)[0]
