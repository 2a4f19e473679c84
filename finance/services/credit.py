"""Credit exposure kept current on the customer (crm), for review rules and quotes (issue #9).

A customer's position is summed here and stored by crm.services: open receivables (open invoice
balances) plus the value of open orders not invoiced yet is the credit exposure; the overdue balance
and the oldest overdue due date describe the overdue invoices not in dispute.

It is refreshed in the transaction of every invoice change (issue, payment, overdue, void, dispute),
from order events after their commit (finance.apps: submitted, edited, cancelled, rejected,
completed), and for every customer by the nightly repair sweep, which corrects any drift.
"""

import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Case, DecimalField, F, Min, OuterRef, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Greatest

from core.errors import NotFound
from core.money import ZERO
from core.sweeps import Sweep
from crm.models import Customer
from crm.services import CreditPosition, customer_set_credit_position, customer_set_credit_positions
from finance import locks
from finance.models import Invoice
from finance.states import OPEN, InvoiceStatus
from orders.models import Order
from orders.states import OPEN as ORDER_OPEN
from orders.states import OrderStatus

logger = logging.getLogger(__name__)

INV = InvoiceStatus
MONEY = DecimalField(max_digits=14, decimal_places=2)
# Orders that count towards exposure until invoiced: every open order once submitted (in review,
# approved, in fulfilment, shipped or delivered, on hold). Not drafts (the dealer has not committed to
# them), nor completed, rejected or cancelled orders (closed: what is owed on a completed order is on
# its invoice).
ORDERS_COUNTED = tuple(sorted(ORDER_OPEN - {OrderStatus.DRAFT}))


def _invoice_figures(customer_ids: list[int] | None) -> dict[int, dict]:
    invoices = Invoice.objects.filter(status__in=OPEN)
    if customer_ids is not None:
        invoices = invoices.filter(customer_id__in=customer_ids)
    overdue = {"status": INV.OVERDUE, "is_disputed": False}
    rows = (
        invoices.order_by()
        .values("customer_id")
        .annotate(
            receivables=Sum(F("total") - F("amount_paid"), output_field=MONEY),
            overdue=Sum(
                Case(
                    When(**overdue, then=F("total") - F("amount_paid")),
                    default=Value(ZERO),
                    output_field=MONEY,
                )
            ),
            overdue_since=Min(Case(When(**overdue, then=F("due_date")))),
        )
    )
    return {row.pop("customer_id"): row for row in rows}


def _uninvoiced_figures(customer_ids: list[int] | None) -> dict[int, object]:
    # One invoice per order for now, but an order counts only what its invoices (not void) leave open.
    invoiced = (
        Invoice.objects.filter(order=OuterRef("pk"))
        .exclude(status=INV.VOID)
        .order_by()
        .values("order")
        .annotate(amount=Sum("total"))
        .values("amount")
    )
    orders = Order.objects.filter(status__in=ORDERS_COUNTED)
    if customer_ids is not None:
        orders = orders.filter(customer_id__in=customer_ids)
    rows = (
        orders.annotate(
            uninvoiced=Greatest(
                F("total")
                - Coalesce(Subquery(invoiced, output_field=MONEY), Value(ZERO), output_field=MONEY),
                Value(ZERO),
                output_field=MONEY,
            )
        )
        .order_by()
        .values("customer_id")
        .annotate(amount=Sum("uninvoiced", output_field=MONEY))
    )
    return {row["customer_id"]: row["amount"] for row in rows}


def credit_positions_compute(*, customer_ids: Iterable[int] | None = None) -> dict[int, CreditPosition]:
    """The credit positions of the given customers (all that have any figure, when None), in two
    grouped queries whatever their number. A customer with no open invoice or order is all zeros."""
    ids = None if customer_ids is None else list(customer_ids)
    invoices, orders = _invoice_figures(ids), _uninvoiced_figures(ids)
    positions = {}
    for customer_id in set(ids) if ids is not None else set(invoices) | set(orders):
        figures = invoices.get(customer_id, {})
        positions[customer_id] = CreditPosition(
            receivables_open=figures.get("receivables") or ZERO,
            orders_uninvoiced=orders.get(customer_id) or ZERO,
            overdue_balance=figures.get("overdue") or ZERO,
            overdue_since=figures.get("overdue_since"),
        )
    return positions


def credit_position_refresh(*, customer_id: int) -> CreditPosition:
    """Recompute and store one customer's credit position, under the customer's row lock.

    The sums are taken after the lock: every change committed meanwhile is in them, and a concurrent
    refresh for the same customer waits for ours. Called inside the transaction of each invoice change
    (lock order: invoice, then customer). Returns the stored position. Raises NotFound.
    """
    with transaction.atomic():
        locks.customer_for_update(customer_id)
        position = credit_positions_compute(customer_ids=[customer_id])[customer_id]
        customer_set_credit_position(customer_id=customer_id, position=position)
    return position


def order_credit_refresh(*, order_id: int) -> CreditPosition | None:
    """Refresh the credit position of an order's customer, after an order event (None: order gone)."""
    customer_id = Order.objects.filter(pk=order_id).values_list("customer_id", flat=True).first()
    if customer_id is None:
        return None
    try:
        return credit_position_refresh(customer_id=customer_id)
    except NotFound:
        return None


def credit_positions_repair(*, after: int | None = None, batch: int = 500) -> Sweep:
    """Sweep: recompute the credit positions of up to `batch` customers (primary-key order, from the
    cursor `after`) and correct those that drifted, in five statements per batch.

    The customers of the batch are locked in primary-key order first (the order every other writer
    respects: each locks one customer, last), so no change slips between the sums and the write.
    A drift is logged (WARNING) with the customers' ids: every change should have refreshed them.
    """
    with transaction.atomic():
        customers = Customer.objects.select_for_update(no_key=True).order_by("pk")
        if after is not None:
            customers = customers.filter(pk__gt=after)
        ids = list(customers.values_list("pk", flat=True)[:batch])
        if ids:
            drifted = customer_set_credit_positions(positions=credit_positions_compute(customer_ids=ids))
            if drifted:
                logger.warning("credit positions corrected for %d customers: %s", len(drifted), drifted[:50])
    return Sweep.of(ids, batch)
