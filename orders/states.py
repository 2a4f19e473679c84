"""The order lifecycle: the status enum, the one table of allowed moves, the permission each move
needs and the timeline kinds, declared as `LIFECYCLE` for the engine (core.lifecycle). The only
definition."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.lifecycle import Lifecycle


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


class OrderEventKind(models.TextChoices):
    """What an order's timeline entry records; a status change's kind is also its domain event's name."""

    CREATED = "order.created", pgettext_lazy("timeline", "Created")
    UPDATED = "order.updated", _("Details changed")
    DRAFT = "order.draft", _("Reopened as draft")
    SUBMITTED = "order.submitted", _("Submitted")
    IN_REVIEW = "order.in_review", _("Review started")
    APPROVED = "order.approved", _("Approved")
    ALLOCATED = "order.allocated", _("Stock allocated")
    BACKORDERED = "order.backordered", _("Backordered")
    BACKORDER_FILLED = "order.backorder_filled", _("More stock reserved")
    STOCK_RELEASED = "order.stock_released", _("Reserved stock released")
    IN_PRODUCTION = "order.in_production", _("Sent to production")
    READY_TO_SHIP = "order.ready_to_ship", _("Ready to ship")
    LINES_SHIPPED = "order.lines_shipped", _("Quantities shipped")
    PARTIALLY_SHIPPED = "order.partially_shipped", _("Partially shipped")
    SHIPPED = "order.shipped", _("Shipped")
    DELIVERED = "order.delivered", _("Delivered")
    COMPLETED = "order.completed", _("Completed")
    ON_HOLD = "order.on_hold", _("Put on hold")
    RELEASED = "order.released", _("Released from hold")
    REJECTED = "order.rejected", _("Rejected")
    CANCELLED = "order.cancelled", _("Cancelled")
    PRIORITY_SCORED = "order.priority_scored", _("Priority recalculated")
    PROMOTION_CHANGED = "order.promotion_changed", _("Promotion flag changed")
    # Review (orders.services.review): decisions that do not move the status on their own, the way back
    # to the dealer, and a review opened again after a change.
    CHANGES_REQUESTED = "order.changes_requested", _("Changes requested")
    REVIEW_STEP_APPROVED = "order.review_step_approved", _("Approval given")
    REVIEW_RULES_CHECKED = "order.review_rules_checked", _("Review rules checked")
    REVIEW_REOPENED = "order.review_reopened", _("Review reopened")
    # Production (orders.services.production): what production tells the order about its built lines.
    PRODUCTION_PROGRESS = "order.production_progress", _("Production progress")
    ETA_CHANGED = "order.eta_changed", _("Estimated date changed")


S = OrderStatus
K = OrderEventKind

# Statuses an order may be put on hold from, and so resumed to (order.status_before_hold).
HOLDABLE = {S.SUBMITTED, S.IN_REVIEW, S.APPROVED, S.ALLOCATED, S.IN_PRODUCTION, S.READY_TO_SHIP}
# Reached only through what logistics records (shipments dispatched, delivered), never set by hand:
# an order marked shipped without a shipment could no longer be shipped, nor invoiced correctly.
FULFILMENT_ONLY = {S.PARTIALLY_SHIPPED, S.SHIPPED, S.DELIVERED}
# Reached only when orders.services.allocation has reserved the stock (issue #8), never by hand.
ALLOCATION_ONLY = {S.ALLOCATED}
# Reached only when production has a work order for one of the order's lines (issue #10,
# orders.services.production), never by hand.
PRODUCTION_ONLY = {S.IN_PRODUCTION}
# A dealer may still change lines, dates and address.
EDITABLE = {S.DRAFT, S.SUBMITTED}
# A sales rep may still correct or cancel a customer's order: nobody has approved it yet.
BEFORE_APPROVAL = frozenset({S.DRAFT, S.SUBMITTED, S.IN_REVIEW})
# Order managers may change lines, dates and address until the goods are being shipped
# (orders.services.changes): in production only the stock lines, not the lines being built. An order
# on hold may be changed when the status it was held from may.
CHANGEABLE = frozenset(BEFORE_APPROVAL | {S.APPROVED, S.ALLOCATED, S.IN_PRODUCTION, S.ON_HOLD})

ALLOWED: dict[str, set[str]] = {
    S.DRAFT: {S.SUBMITTED, S.CANCELLED},
    # → draft: a reviewer requests changes (orders.services.review); → approved: no review rule matched.
    S.SUBMITTED: {S.IN_REVIEW, S.APPROVED, S.REJECTED, S.ON_HOLD, S.CANCELLED, S.DRAFT},
    S.IN_REVIEW: {S.APPROVED, S.REJECTED, S.ON_HOLD, S.CANCELLED, S.DRAFT},
    # → in review: a change after approval matches a review rule not yet approved in this round.
    S.APPROVED: {S.ALLOCATED, S.IN_PRODUCTION, S.ON_HOLD, S.CANCELLED, S.IN_REVIEW},
    S.ALLOCATED: {S.IN_PRODUCTION, S.READY_TO_SHIP, S.ON_HOLD, S.CANCELLED, S.IN_REVIEW},
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
# An open order is still on its way: every status but the three ends of the road. A rejected order is
# closed although it can be reopened (reopening makes it a draft, open again). A draft is open: it is
# priority-scored from its creation and its dealer is still working on it.
CLOSED = frozenset({S.COMPLETED, S.CANCELLED, S.REJECTED})
OPEN = frozenset(S.values) - CLOSED
# Timeline entries that are the system's own bookkeeping, not shown to dealers; review rules and single
# approvers' comments are the seller's own business too (the dealer sees the outcome).
INTERNAL_KINDS = frozenset(
    {K.PRIORITY_SCORED, K.PROMOTION_CHANGED, K.REVIEW_RULES_CHECKED, K.REVIEW_STEP_APPROVED}
)


def can_cancel(current: str, *, status_before_hold: str = "") -> bool:
    return S.CANCELLED in allowed_targets(current, status_before_hold=status_before_hold)


def can_edit(current: str) -> bool:
    return current in EDITABLE


def can_change(current: str, *, status_before_hold: str = "", within=CHANGEABLE) -> bool:
    """Whether an order in `current` may be changed by someone allowed `within` those statuses."""
    if current == S.ON_HOLD:
        return S.ON_HOLD in within and status_before_hold in within
    return current in within


# The permission a user needs to move an order *to* a status.
TRANSITION_PERMISSION: dict[str, str] = {
    S.DRAFT: "orders.change_order",
    S.SUBMITTED: "orders.change_order",
    S.IN_REVIEW: "orders.review_order",
    S.APPROVED: "orders.review_order",
    S.REJECTED: "orders.review_order",
    S.ON_HOLD: "orders.hold_order",
    S.CANCELLED: "orders.cancel_order",
    S.ALLOCATED: "orders.fulfil_order",
    S.IN_PRODUCTION: "orders.fulfil_order",
    S.READY_TO_SHIP: "orders.fulfil_order",
    S.PARTIALLY_SHIPPED: "orders.ship_order",
    S.SHIPPED: "orders.ship_order",
    S.DELIVERED: "orders.ship_order",
    S.COMPLETED: "orders.complete_order",
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


def _is_resume(from_status: str, to: str) -> bool:
    # Resuming is not reaching the status again: the order keeps its first stamp (approved_at, …).
    return from_status == S.ON_HOLD and to != S.CANCELLED


# Review moves with their own kinds: back to the dealer for changes (not a reopened rejection), and a
# review opened again after approval (not the first review).
_REVIEW_KINDS = {
    (S.SUBMITTED, S.DRAFT): K.CHANGES_REQUESTED,
    (S.IN_REVIEW, S.DRAFT): K.CHANGES_REQUESTED,
    (S.APPROVED, S.IN_REVIEW): K.REVIEW_REOPENED,
    (S.ALLOCATED, S.IN_REVIEW): K.REVIEW_REOPENED,
}


def _kind(from_status: str, to: str) -> str:
    # A resumed order announces `order.released`, not a second `order.<to>` (webhooks would deliver a
    # duplicate approval a dealer cannot tell apart).
    if _is_resume(from_status, to):
        return K.RELEASED
    return _REVIEW_KINDS.get((from_status, to)) or f"order.{to}"


def _hold_memory(order, from_status: str, to: str) -> dict:
    if to == S.ON_HOLD:
        return {"status_before_hold": from_status}
    if from_status == S.ON_HOLD:
        return {"status_before_hold": ""}
    return {}


def _payload(order) -> dict:
    return {
        "order_id": order.pk,
        "number": order.number,
        "customer_id": order.customer_id,
        "status": order.status,
    }


LIFECYCLE = Lifecycle(
    document="order",
    model="orders.Order",
    timeline="orders.OrderEvent",
    statuses=OrderStatus,
    allowed=ALLOWED,
    permissions=TRANSITION_PERMISSION,
    kinds=OrderEventKind,
    # Every status but draft has its `<status>_at`, stamped each time it is reached (a second hold
    # records when it began), except on a resume from hold.
    stamps={status: f"{status}_at" for status in S.values if status != S.DRAFT},
    restamp=True,
    payload=_payload,
    targets=lambda order: allowed_targets(order.status, status_before_hold=order.status_before_hold),
    resumes=_is_resume,
    extra_changes=_hold_memory,
    # A move across the committing boundary (submitted, not closed) changes the products' committed demand.
    after_move="orders.services.commitments.commitments_after_move",
    kind=_kind,
)
