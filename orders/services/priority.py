"""Priority scoring of open orders."""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core.money import ZERO
from core.sweeps import Sweep
from orders.models import Order, OrderEvent
from orders.selectors import order_list_open
from orders.states import OPEN, OrderEventKind

TIER_POINTS = {"standard": 0, "silver": 10, "gold": 20, "platinum": 30}


def order_priority_score(
    *, tier: str, total: Decimal, requested_delivery_date: dt.date | None, today: dt.date
) -> int:
    """0–100: customer tier (≤30), urgency of the requested date (≤40), order value (≤30)."""
    score = TIER_POINTS.get(tier, 0)
    if requested_delivery_date:
        days = (requested_delivery_date - today).days
        score += 40 if days <= 3 else 30 if days <= 7 else 15 if days <= 14 else 5
    for threshold, points in ((Decimal("1000000"), 30), (Decimal("100000"), 20), (Decimal("10000"), 10)):
        if total >= threshold:
            score += points
            break
    return max(0, min(100, score))


def order_score_priority(*, order_id: int) -> int | None:
    """Recompute an open order's priority; writes (and logs) only when it changes. Returns it."""
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=order_id).first()
        if order is None or order.status not in OPEN:
            # deleted meanwhile, or closed: nothing to score (a queued task may outlive its order)
            return None
        score = order_priority_score(
            tier=order.customer.tier,
            total=order.total or ZERO,
            requested_delivery_date=order.requested_delivery_date,
            today=timezone.localdate(),
        )
        if score != order.priority:
            # Priority is the system's own field: it does not bump the version a dealer edits against.
            Order.objects.filter(pk=order.pk).update(priority=score)
            OrderEvent.record(
                order=order, kind=OrderEventKind.PRIORITY_SCORED, data={"from": order.priority, "to": score}
            )
        return score


def order_rescore_open(*, after: int | None = None, batch: int = 500) -> Sweep:
    """Sweep: rescore up to `batch` open orders after order id `after` (dates move closer every day).

    Each order is scored in its own transaction. Returns the batch; its cursor is the last order id.
    """
    ids = list(
        order_list_open().filter(pk__gt=after or 0).order_by("pk").values_list("pk", flat=True)[:batch]
    )
    for order_id in ids:
        order_score_priority(order_id=order_id)
    return Sweep.of(ids, batch)
