"""The order lifecycle: one enum and one table of allowed transitions. The only definition."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    ALLOCATED = "allocated", _("Allocated")
    IN_PRODUCTION = "in_production", _("In production")
    READY_TO_SHIP = "ready_to_ship", _("Ready to ship")
    PARTIALLY_SHIPPED = "partially_shipped", _("Partially shipped")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    COMPLETED = "completed", _("Completed")
    ON_HOLD = "on_hold", _("On hold")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


S = OrderStatus

# Statuses an order may be put on hold from, and so resumed to (order.status_before_hold).
HOLDABLE = {S.SUBMITTED, S.IN_REVIEW, S.APPROVED, S.ALLOCATED, S.IN_PRODUCTION, S.READY_TO_SHIP}
# Reached only through what logistics records (shipments dispatched, delivered), never set by hand:
# an order marked shipped without a shipment could no longer be shipped, nor invoiced correctly.
FULFILMENT_ONLY = {S.PARTIALLY_SHIPPED, S.SHIPPED, S.DELIVERED}
# A dealer may still change lines, dates and address.
EDITABLE = {S.DRAFT, S.SUBMITTED}

ALLOWED: dict[str, set[str]] = {
    S.DRAFT: {S.SUBMITTED, S.CANCELLED},
    S.SUBMITTED: {S.IN_REVIEW, S.APPROVED, S.REJECTED, S.ON_HOLD, S.CANCELLED},
    S.IN_REVIEW: {S.APPROVED, S.REJECTED, S.ON_HOLD, S.CANCELLED},
    S.APPROVED: {S.ALLOCATED, S.IN_PRODUCTION, S.ON_HOLD, S.CANCELLED},
    S.ALLOCATED: {S.IN_PRODUCTION, S.READY_TO_SHIP, S.ON_HOLD, S.CANCELLED},
    S.IN_PRODUCTION: {S.ALLOCATED, S.READY_TO_SHIP, S.ON_HOLD, S.CANCELLED},
    S.READY_TO_SHIP: {S.PARTIALLY_SHIPPED, S.SHIPPED, S.ON_HOLD},
    S.PARTIALLY_SHIPPED: {S.SHIPPED},
    S.SHIPPED: {S.DELIVERED},
    S.DELIVERED: {S.COMPLETED},
    S.COMPLETED: set(),
    S.ON_HOLD: HOLDABLE | {S.CANCELLED},
    S.REJECTED: {S.DRAFT},
    S.CANCELLED: set(),
}
TERMINAL = {s for s, targets in ALLOWED.items() if not targets}


def can_transition(current: str, target: str) -> bool:
    return target in ALLOWED.get(current, set())


def can_cancel(current: str, *, status_before_hold: str = "") -> bool:
    return S.CANCELLED in allowed_targets(current, status_before_hold=status_before_hold)


def can_edit(current: str) -> bool:
    return current in EDITABLE


# The permission (orders.<codename>) a user needs to move an order *to* a status.
TRANSITION_PERMISSION: dict[str, str] = {
    S.DRAFT: "change_order",
    S.SUBMITTED: "change_order",
    S.IN_REVIEW: "review_order",
    S.APPROVED: "review_order",
    S.REJECTED: "review_order",
    S.ON_HOLD: "hold_order",
    S.CANCELLED: "cancel_order",
    S.ALLOCATED: "fulfil_order",
    S.IN_PRODUCTION: "fulfil_order",
    S.READY_TO_SHIP: "fulfil_order",
    S.PARTIALLY_SHIPPED: "ship_order",
    S.SHIPPED: "ship_order",
    S.DELIVERED: "ship_order",
    S.COMPLETED: "complete_order",
}


def allowed_targets(current: str, *, status_before_hold: str = "") -> set[str]:
    """Statuses reachable from `current`; an order on hold resumes only to where it was held."""
    targets = set(ALLOWED.get(current, set()))
    if current == S.ON_HOLD:
        # Resume only to where it was held; cancel only if that status could have been cancelled
        # (a hold must not open a way round the table, e.g. cancelling what is ready to ship).
        held_from = ALLOWED.get(status_before_hold, set())
        targets = {
            t for t in targets if t == status_before_hold or (t == S.CANCELLED and S.CANCELLED in held_from)
        }
    return targets
