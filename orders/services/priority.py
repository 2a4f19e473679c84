"""Priority scoring of open orders (issue #9): the rules are orders.priority, the weights PriorityFactor rows.

One path scores any number of orders. `orders_score` reads a batch of open orders with everything the
rules need in one query (the customer joined), computes each score and breakdown in Python, reads the
orders whose score or breakdown changed again under lock (primary-key order) and writes them with one
UPDATE, and the timeline entries of the scores that moved with one INSERT. The event listener's single
order and the sweep's batch both go through it, so the queries of a batch do not grow with its size:
the weights, the orders, those that changed under lock, the update, the timeline.
"""

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import events
from core.errors import NotFound, ValidationFailed
from core.sweeps import Sweep
from orders import locks
from orders import priority as rules
from orders.errors import OrderNotEditable
from orders.models import Order, OrderEvent, PriorityFactor
from orders.priority import PriorityFactorCode
from orders.selectors import priority_rules
from orders.states import CLOSED, OPEN, OrderEventKind

PRIORITY_FACTOR_CHANGED = "priority_factor.changed"
# What scoring reads of an order and its customer (orders.priority.OrderFacts), and what it compares.
SCORING_FIELDS = (
    "id",
    "priority",
    "priority_breakdown",
    "total",
    "currency",
    "requested_delivery_date",
    "submitted_at",
    "is_promotion",
    "customer__tier",
    "customer__kind",
)


@dataclass(frozen=True)
class ScoredBatch:
    ids: list[int]  # the open orders read, in primary-key order
    scores: dict[int, int]
    written: int  # rows whose score or breakdown changed
    moved: int  # of which the score moved (one `order.priority_scored` timeline entry each)


def order_facts(order: Order) -> rules.OrderFacts:
    return rules.OrderFacts(
        total=order.total,
        currency=order.currency,
        tier=order.customer.tier,
        customer_kind=order.customer.kind,
        requested_delivery_date=order.requested_delivery_date,
        submitted_on=timezone.localdate(order.submitted_at) if order.submitted_at else None,
        is_promotion=order.is_promotion,
    )


def _scoring_rows(qs):
    return qs.select_related("customer").only(*SCORING_FIELDS).order_by("pk")


def orders_score(
    *,
    order_ids: Iterable[int] | None = None,
    after: int | None = None,
    batch: int | None = None,
    today: dt.date | None = None,
) -> ScoredBatch:
    """Score open orders — those of `order_ids`, else up to `batch` after order id `after` — with the
    weights of now, in one transaction.

    Writes `priority` and `priority_breakdown` of the orders where either changed (the breakdown moves
    with the days to the requested date, the score not always); a moved score also gets an
    `order.priority_scored` timeline entry (internal: dealers do not see it). Priority is the system's
    own field: it does not bump the version a dealer edits against. Closed or missing orders are
    skipped. Queries, whatever the number of orders: the weights and the orders; when some changed,
    those orders again under lock, one UPDATE and one INSERT of timeline entries.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        factor_rules = priority_rules()
        qs = Order.objects.filter(status__in=OPEN)
        if order_ids is not None:
            qs = qs.filter(pk__in=list(order_ids))
        if after:
            qs = qs.filter(pk__gt=after)
        orders = list(_scoring_rows(qs)[:batch] if batch else _scoring_rows(qs))
        stale = [o.pk for o in orders if _scored(o, factor_rules, today) is not None]
        written, timeline = [], []
        if stale:
            # Only what changed is locked, and read again under the lock (primary-key order, as every writer
            # of orders, orders.locks): a concurrent edit is scored once it committed, never overwritten
            # with a score of what it replaced. A quiet sweep reads and locks nothing else.
            locked = _scoring_rows(Order.objects.filter(pk__in=stale, status__in=OPEN)).select_for_update(
                of=("self",)
            )
            for order in locked:
                result = _scored(order, factor_rules, today)
                if result is None:
                    continue
                if result.score != order.priority:
                    timeline.append(
                        OrderEvent(
                            order_id=order.pk,
                            kind=OrderEventKind.PRIORITY_SCORED,
                            data={"from": order.priority, "to": result.score},
                        )
                    )
                order.priority, order.priority_breakdown = result.score, result.breakdown
                written.append(order)
        if written:
            _write_scores(written)
        if timeline:
            OrderEvent.objects.bulk_create(timeline)
    scores = {o.pk: o.priority for o in orders} | {o.pk: o.priority for o in written}
    return ScoredBatch(ids=[o.pk for o in orders], scores=scores, written=len(written), moved=len(timeline))


def _scored(order: Order, factor_rules, today: dt.date) -> rules.Score | None:
    """The order's new score, or None if its stored score and breakdown are still right."""
    result = rules.score(order_facts(order), factor_rules, today=today)
    if result.score == order.priority and result.breakdown == order.priority_breakdown:
        return None
    return result


# One statement for any number of rows, its SQL the same for every batch: the ids, scores and breakdowns
# as three arrays. Django's bulk_update writes a CASE WHEN per row and field, which costs more to build
# than the update takes to run, and PostgreSQL time growing with the square of the batch.
_UPDATE_SCORES = (
    "UPDATE {table} AS o SET priority = v.priority, priority_breakdown = v.breakdown::jsonb "  # noqa: S608  (table name from the model)
    "FROM UNNEST(%s::bigint[], %s::smallint[], %s::text[]) AS v(id, priority, breakdown) WHERE o.id = v.id"
)


def _write_scores(orders: list[Order]) -> None:
    if connection.vendor != "postgresql":
        Order.objects.bulk_update(orders, ["priority", "priority_breakdown"])
        return
    with connection.cursor() as cursor:
        cursor.execute(
            _UPDATE_SCORES.format(table=connection.ops.quote_name(Order._meta.db_table)),
            [
                [o.pk for o in orders],
                [o.priority for o in orders],
                [json.dumps(o.priority_breakdown) for o in orders],
            ],
        )


def order_score_priority(*, order_id: int) -> int | None:
    """Score one open order (the path of the `order.*` event listeners); writes (and logs) only a change.

    Returns the score, or None for a closed or missing order (a queued task may outlive its order).
    """
    return orders_score(order_ids=[order_id]).scores.get(order_id)


def order_rescore_open(*, after: int | None = None, batch: int | None = None) -> Sweep:
    """Sweep: rescore up to `batch` (ORDER_PRIORITY_RESCORE_BATCH) open orders after order id `after`
    (dates come closer every day, tiers and weights change), in one transaction of a bounded number of
    queries. Returns the batch; its cursor is the last order id."""
    batch = batch or settings.ORDER_PRIORITY_RESCORE_BATCH
    return Sweep.of(orders_score(after=after, batch=batch).ids, batch)


def _factors_for_update() -> dict[str, PriorityFactor]:
    """Every factor row, locked in primary-key order; a missing one is created from its default."""
    factors = {f.code: f for f in PriorityFactor.objects.select_for_update().order_by("pk")}
    missing = [
        PriorityFactor(
            code=code,
            position=rules.FACTOR_ORDER.index(code),
            weight=rules.DEFAULT_FACTORS[code]["weight"],
            parameters=rules.DEFAULT_FACTORS[code]["parameters"],
        )
        for code in rules.FACTOR_ORDER
        if code not in factors
    ]
    for factor in PriorityFactor.objects.bulk_create(missing):
        factors[factor.code] = factor
    return factors


def priority_factor_update(*, code: str, weight: int, parameters: Mapping, actor=None) -> PriorityFactor:
    """Set the weight and parameters of one priority factor (orders.priority.parameters_clean says what
    each factor takes).

    Raises NotFound for an unknown factor, ValidationFailed with messages by parameter name (and
    `weight`) for bad values, and for a weight of 0 on the last factor that counts (every order would
    score 0). Nothing changed: nothing written, no event. Side effect: a `priority_factor.changed` event,
    whose listener queues the rescoring sweep of open orders (orders.apps) — not done in the request.
    """
    if code not in PriorityFactorCode.values:
        raise NotFound()
    clean, errors = rules.parameters_clean(code, parameters)
    if weight_errors := rules.weight_errors(weight):
        errors["weight"] = weight_errors
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        factors = _factors_for_update()
        factor = factors[code]
        if factor.weight == weight and factor.parameters == clean:
            return factor
        if weight == 0 and not any(f.weight for c, f in factors.items() if c != code):
            raise ValidationFailed(
                fields={
                    "weight": [
                        _("At least one factor must have a weight above 0, or every order would score 0.")
                    ]
                }
            )
        factor.weight, factor.parameters = weight, clean
        factor.updated_by = actor if getattr(actor, "pk", None) else None
        factor.save()
        events.emit(PRIORITY_FACTOR_CHANGED, priority_factor_id=factor.pk, code=code)
    return factor


def order_set_promotion(*, order_id: int, is_promotion: bool, actor=None) -> Order:
    """Flag an open order as placed under a sales promotion (or clear the flag), and rescore it at once.

    Setting the flag it already has changes nothing. Raises NotFound, and OrderNotEditable for a closed
    order. Side effects: an `order.promotion_changed` timeline entry (internal, with the actor), the
    new score and breakdown (and `order.priority_scored` if the score moved). Does not bump the version:
    the flag is the seller's, not part of what the dealer ordered.
    """
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        if order.is_promotion == is_promotion:
            return order
        if order.status in CLOSED:
            raise OrderNotEditable(order=order)
        Order.objects.filter(pk=order.pk).update(is_promotion=is_promotion)
        OrderEvent.record(
            order=order,
            kind=OrderEventKind.PROMOTION_CHANGED,
            actor=actor,
            data={"from": order.is_promotion, "to": is_promotion},
        )
        orders_score(order_ids=[order.pk])
    order.refresh_from_db()
    return order
