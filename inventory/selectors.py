import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Abs, Coalesce, TruncDate
from django.utils import timezone

from inventory.allocation import haversine_km
from inventory.models import (
    ExpectedReceipt,
    Product,
    ProductOption,
    ProductOptionValue,
    StockAlert,
    StockAlertKind,
    StockAlertStatus,
    StockLevel,
    StockMovement,
    StockTransfer,
    StockTransferLine,
    Warehouse,
    WarehouseShippingCost,
)
from inventory.states import TransferStatus


def stock_available_by_product(*, product_ids) -> dict[int, int]:
    """Available (on hand − reserved) per product over all active warehouses, one query."""
    rows = (
        StockLevel.objects.filter(product_id__in=product_ids, warehouse__is_active=True)
        .values("product_id")
        .annotate(available=Sum(F("on_hand") - F("reserved")))
    )
    return {row["product_id"]: max(0, row["available"] or 0) for row in rows}


def stock_available_expression(*, product: str = "pk"):
    """The same figure for the product at OuterRef(`product`), as an expression (0 without stock rows).

    For a caller that reads products anyway: annotating them with it saves the query above.
    """
    available = (
        StockLevel.objects.filter(product_id=OuterRef(product), warehouse__is_active=True)
        .values("product_id")
        .annotate(available=Sum(F("on_hand") - F("reserved")))
        .values("available")
    )
    return Coalesce(Subquery(available[:1]), 0)


def atp_date(
    *,
    product: Product,
    quantity: int,
    available: int,
    custom_build: bool = False,
    today: dt.date | None = None,
) -> dt.date:
    """Earliest date `quantity` can leave a warehouse from stock on hand alone: tomorrow from stock,
    else after the lead time. For the catalog's one-unit date; quotes and intake use atp_promise."""
    today = today or timezone.localdate()
    if not custom_build and not product.made_to_order and available >= quantity:
        return today + dt.timedelta(days=1)
    return lead_time_date(product=product, today=today)


def lead_time_date(*, product: Product, today: dt.date | None = None) -> dt.date:
    """The date a product can always be promised for: today + its lead time (at least 1 day; 14 if none)."""
    today = today or timezone.localdate()
    return today + dt.timedelta(days=max(1, product.lead_time_days or 14))


# --- available-to-promise by date ---------------------------------------------------------------
#
# The rule (issue #8). For each product, supply is a timeline over the active warehouses:
#   * available now (on hand − reserved) can leave tomorrow;
#   * units in transit (shipped transfers, what is shipped and not yet received) arrive
#     ATP_TRANSFER_DAYS after the transfer was shipped;
#   * expected receipts not yet received arrive on their `expected_on`;
#   an arrival can leave the day after it (like stock on hand today leaves tomorrow); an arrival
#   that is overdue counts as arriving today. Requested transfers move nothing between products or
#   out of the company: they are no supply. Production completions join once production exists.
# Demand already promised comes first: `committed` (orders the caller knows of that do not hold
# a reservation yet) takes the earliest supply. What is left is free to promise, cumulatively by
# date. A new quantity is promised for the first date on which the free quantity covers it and
# everything the same request took before it; if that never happens, or only after the lead time,
# it is promised for the lead-time date (lead_time_date) and takes nothing from the timeline.
# Built-to-order lines (custom builds, made-to-order products) are always the lead-time date.


class AtpStep(NamedTuple):
    """From `ready_on` on, `quantity` units (cumulative) are free to promise."""

    ready_on: dt.date
    quantity: int


class AtpPromise(NamedTuple):
    date: dt.date  # when the line can leave a warehouse
    covered: bool  # from supply (stock now or incoming); False: the lead-time date
    from_stock: bool  # covered by what is available now (ready tomorrow)


def _transfer_days() -> int:
    return max(0, int(getattr(settings, "ATP_TRANSFER_DAYS", 3)))


def stock_incoming(*, product_ids, today: dt.date | None = None) -> dict[int, list[tuple[dt.date, int]]]:
    """Units on their way into active warehouses, by the day they arrive: {product_id: [(day, n)]},
    earliest first; one query (in-transit transfer lines and open expected receipts together).

    A transfer arrives ATP_TRANSFER_DAYS after it was shipped; a receipt on its `expected_on`;
    an overdue arrival counts as arriving today.
    """
    today = today or timezone.localdate()
    transfers = (
        _lines_in_transit()
        .filter(product_id__in=product_ids, transfer__to_warehouse__is_active=True, in_transit__gt=0)
        .annotate(
            p=F("product_id"),
            day=TruncDate("transfer__shipped_at"),
            n=F("in_transit"),
            late=Value(_transfer_days()),
        )
        .order_by()
        .values_list("p", "day", "n", "late")
    )
    receipts = (
        ExpectedReceipt.objects.filter(product_id__in=product_ids, received=False, warehouse__is_active=True)
        .annotate(p=F("product_id"), day=F("expected_on"), n=F("quantity"), late=Value(0))
        .order_by()
        .values_list("p", "day", "n", "late")
    )
    incoming: dict[int, dict[dt.date, int]] = {}
    for product_id, day, quantity, delay in transfers.union(receipts, all=True):
        if isinstance(day, str):  # SQLite returns the union's dates as text
            day = dt.date.fromisoformat(day[:10])
        arrives = max(today, (day or today) + dt.timedelta(days=delay))
        per_day = incoming.setdefault(product_id, {})
        per_day[arrives] = per_day.get(arrives, 0) + quantity
    return {product_id: sorted(days.items()) for product_id, days in incoming.items()}


def stock_incoming_expression(*, product: str = "pk"):
    """Whether anything is on its way for the product at OuterRef(`product`) (stock_incoming's
    sources), as a boolean expression: lets a caller reading products anyway skip that query."""
    transfers = _lines_in_transit().filter(
        product_id=OuterRef(product), transfer__to_warehouse__is_active=True, in_transit__gt=0
    )
    receipts = ExpectedReceipt.objects.filter(
        product_id=OuterRef(product), received=False, warehouse__is_active=True
    )
    return ExpressionWrapper(Exists(transfers) | Exists(receipts), output_field=BooleanField())


def atp_steps(
    *,
    available: int,
    incoming: list[tuple[dt.date, int]] = (),
    committed: int = 0,
    today: dt.date | None = None,
) -> list[AtpStep]:
    """One product's free-to-promise timeline from its figures (no query): see the rule above."""
    today = today or timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)
    supply = [(tomorrow, max(0, available))]
    supply += [(max(day, today) + dt.timedelta(days=1), quantity) for day, quantity in incoming]
    steps: list[AtpStep] = []
    total = 0
    for ready_on, quantity in sorted(supply):
        total += quantity
        free = total - max(0, committed)
        if free <= 0 or (steps and free <= steps[-1].quantity):
            continue
        if steps and steps[-1].ready_on == ready_on:
            steps[-1] = AtpStep(ready_on, free)
        else:
            steps.append(AtpStep(ready_on, free))
    return steps


def atp_timeline(
    *,
    product_ids,
    committed: dict[int, int] | None = None,
    today: dt.date | None = None,
    available: dict[int, int] | None = None,
    incoming_product_ids=None,
) -> dict[int, list[AtpStep]]:
    """Free-to-promise timeline per product: {product_id: [AtpStep, …]} (empty list: nothing free).

    `committed` {product_id: units}: demand promised before, not reserved yet (orders pass theirs:
    inventory cannot read orders). `available` {product_id: on hand − reserved}: figures the caller
    already read (else one query). `incoming_product_ids`: read incoming supply only for these
    (default: all); one query when any.
    """
    product_ids = list(product_ids)
    today = today or timezone.localdate()
    committed = committed or {}
    if available is None:
        available = stock_available_by_product(product_ids=product_ids)
    wanted = product_ids if incoming_product_ids is None else list(incoming_product_ids)
    incoming = stock_incoming(product_ids=wanted, today=today) if wanted else {}
    return {
        product_id: atp_steps(
            available=available.get(product_id, 0),
            incoming=incoming.get(product_id, []),
            committed=committed.get(product_id, 0),
            today=today,
        )
        for product_id in product_ids
    }


def atp_promise(
    *,
    product: Product,
    quantity: int,
    committed: int = 0,
    steps: list[AtpStep] | None = None,
    taken: int = 0,
    custom_build: bool = False,
    today: dt.date | None = None,
) -> AtpPromise:
    """The earliest date `quantity` units of `product` can leave a warehouse (the rule above).

    `steps`: the product's timeline from atp_timeline (else read now, with `committed`); `taken`:
    units earlier lines of the same request were promised from it.
    """
    today = today or timezone.localdate()
    lead = lead_time_date(product=product, today=today)
    if custom_build or product.made_to_order:
        return AtpPromise(lead, False, False)
    if steps is None:
        steps = atp_timeline(product_ids=[product.pk], committed={product.pk: committed}, today=today)[
            product.pk
        ]
    need = taken + quantity
    for step in steps:
        if step.quantity >= need:
            if step.ready_on > lead:
                break
            return AtpPromise(step.ready_on, True, step.ready_on <= today + dt.timedelta(days=1))
    return AtpPromise(lead, False, False)


# --- substitutes ----------------------------------------------------------------------------------


class Substitute(NamedTuple):
    product: Product
    available: int
    same_series: bool


def product_substitutes(
    *, product: Product, quantity: int, options: dict | None = None, limit: int = 5
) -> list[Substitute]:
    """Products that could replace `product` on a line that cannot be served from stock; one query.

    Candidates: active, stocked (not made to order) products of the same series (when it has one)
    or the same category, not the product itself, with stock available now (on hand − reserved,
    active warehouses), and compatible with the line's options: for every option the line chose,
    the candidate offers that option code with the same value code, and it requires no option the
    line did not choose. Those that cover `quantity` come first — and only they when there are any;
    then same series first, most available, closest list price.
    """
    chosen = {str(code): str(value) for code, value in (options or {}).items() if value not in (None, "")}
    related = Q(category_id=product.category_id)
    if product.series:
        related |= Q(series=product.series)
    candidates = Product.objects.filter(related, is_active=True, made_to_order=False).exclude(pk=product.pk)
    for code, value in chosen.items():
        candidates = candidates.filter(
            Exists(
                ProductOptionValue.objects.filter(
                    option__product=OuterRef("pk"), option__code=code, code=value
                )
            )
        )
    candidates = candidates.exclude(
        Exists(ProductOption.objects.filter(product=OuterRef("pk"), required=True).exclude(code__in=chosen))
    )
    same_series = (
        Case(When(series=product.series, then=Value(1)), default=Value(0), output_field=IntegerField())
        if product.series
        else Value(0, output_field=IntegerField())
    )
    rows = list(
        candidates.annotate(available=stock_available_expression())
        .filter(available__gt=0)
        .annotate(
            covers=Case(
                When(available__gte=quantity, then=Value(1)), default=Value(0), output_field=IntegerField()
            ),
            same_series=same_series,
            price_gap=Abs(F("list_price") - product.list_price),
        )
        .select_related("category")
        .order_by("-covers", "-same_series", "-available", "price_gap", "sku")[:limit]
    )
    if rows and rows[0].covers:
        rows = [row for row in rows if row.covers]
    return [Substitute(row, row.available, bool(row.same_series)) for row in rows]


def product_list_active():
    return (
        Product.objects.filter(is_active=True)
        .select_related("category")
        .prefetch_related("options__values")
        .order_by("sku")
    )


def warehouse_list_active():
    return Warehouse.objects.filter(is_active=True).order_by("code")


def stock_level_list(*, product_ids=None, warehouse_ids=None):
    """Stock balances with their product and warehouse, by SKU then warehouse code."""
    levels = StockLevel.objects.select_related("product", "warehouse").order_by(
        "product__sku", "warehouse__code"
    )
    if product_ids is not None:
        levels = levels.filter(product_id__in=product_ids)
    if warehouse_ids is not None:
        levels = levels.filter(warehouse_id__in=warehouse_ids)
    return levels


def stock_available(*, product_ids) -> dict[int, dict[int, int]]:
    """Available (on hand − reserved) per product, per active warehouse: {product_id: {warehouse_id: n}}."""
    available: dict[int, dict[int, int]] = {}
    rows = StockLevel.objects.filter(product_id__in=product_ids, warehouse__is_active=True).values_list(
        "product_id", "warehouse_id", "on_hand", "reserved"
    )
    for product_id, warehouse_id, on_hand, reserved in rows:
        available.setdefault(product_id, {})[warehouse_id] = on_hand - reserved
    return available


def stock_movement_list(*, product_id=None, warehouse_id=None, document_type=None, document_id=None):
    """Ledger rows, newest first, optionally for one balance or one document."""
    movements = StockMovement.objects.select_related("product", "warehouse", "actor")
    if product_id is not None:
        movements = movements.filter(product_id=product_id)
    if warehouse_id is not None:
        movements = movements.filter(warehouse_id=warehouse_id)
    if document_type is not None:
        movements = movements.filter(document_type=document_type, document_id=str(document_id))
    return movements


@dataclass(frozen=True)
class StockDrift:
    """A balance that differs from the sum of its ledger (or a ledger without a balance row)."""

    product_id: int
    warehouse_id: int
    on_hand: int
    reserved: int
    ledger_on_hand: int
    ledger_reserved: int


_DRIFT_SQL = f"""
WITH ledger AS (
    SELECT product_id, warehouse_id, SUM(on_hand_delta) AS on_hand, SUM(reserved_delta) AS reserved
    FROM {StockMovement._meta.db_table} GROUP BY product_id, warehouse_id
)
SELECT COALESCE(s.product_id, l.product_id), COALESCE(s.warehouse_id, l.warehouse_id),
       COALESCE(s.on_hand, 0), COALESCE(s.reserved, 0), COALESCE(l.on_hand, 0), COALESCE(l.reserved, 0)
FROM {StockLevel._meta.db_table} s
FULL OUTER JOIN ledger l ON l.product_id = s.product_id AND l.warehouse_id = s.warehouse_id
WHERE COALESCE(s.on_hand, 0) <> COALESCE(l.on_hand, 0) OR COALESCE(s.reserved, 0) <> COALESCE(l.reserved, 0)
ORDER BY 1, 2
"""


def stock_drift() -> list[StockDrift]:
    """Every balance whose on hand or reserved differs from its ledger sums; one aggregate query."""
    with connection.cursor() as cursor:
        cursor.execute(_DRIFT_SQL)
        return [StockDrift(*(int(value) for value in row)) for row in cursor.fetchall()]


# --- transfers ------------------------------------------------------------------------------------


def _lines_in_transit():
    """Lines of shipped transfers, with what left the source and has not arrived yet."""
    return StockTransferLine.objects.filter(transfer__status=TransferStatus.SHIPPED).annotate(
        in_transit=F("quantity_shipped") - F("quantity_received")
    )


def stock_in_transit(*, product_ids=None, warehouse_ids=None) -> dict[tuple[int, int], int]:
    """Units on their way to a warehouse: {(product_id, destination warehouse_id): quantity}, one query.

    Shipped transfers only: their units are off the source's on hand and not yet on the destination's.
    """
    lines = _lines_in_transit()
    if product_ids is not None:
        lines = lines.filter(product_id__in=product_ids)
    if warehouse_ids is not None:
        lines = lines.filter(transfer__to_warehouse_id__in=warehouse_ids)
    rows = (
        lines.values("product_id", "transfer__to_warehouse_id")
        .annotate(quantity=Sum(F("quantity_shipped") - F("quantity_received")))
        .values_list("product_id", "transfer__to_warehouse_id", "quantity")
    )
    return {(product_id, warehouse_id): quantity for product_id, warehouse_id, quantity in rows if quantity}


def stock_in_transit_expression(*, product: str = "product_id", warehouse: str = "warehouse_id"):
    """The same figure for the balance at OuterRef(`product`, `warehouse`), as an expression (0 if none).

    For lists of stock levels: annotating them costs no query per row.
    """
    quantity = (
        _lines_in_transit()
        .filter(product_id=OuterRef(product), transfer__to_warehouse_id=OuterRef(warehouse))
        .values("product_id")
        .annotate(total=Sum(F("quantity_shipped") - F("quantity_received")))
        .values("total")
    )
    return Coalesce(Subquery(quantity[:1]), 0)


def transfer_in_transit(*, transfer_id: int) -> dict[int, int]:
    """Units of one transfer on their way: {product_id: quantity}; empty unless it is shipped."""
    return {
        product_id: quantity
        for product_id, quantity in _lines_in_transit()
        .filter(transfer_id=transfer_id)
        .values_list("product_id", "in_transit")
        if quantity
    }


def transfer_list(*, status=None, warehouse_id=None):
    """Transfers, newest first, with both warehouses and the units each has in transit (`in_transit`)."""
    in_transit = Coalesce(
        Subquery(
            _lines_in_transit()
            .filter(transfer_id=OuterRef("pk"))
            .values("transfer_id")
            .annotate(total=Sum(F("quantity_shipped") - F("quantity_received")))
            .values("total")[:1]
        ),
        0,
    )
    transfers = StockTransfer.objects.select_related("from_warehouse", "to_warehouse").annotate(
        in_transit=in_transit
    )
    if status is not None:
        transfers = transfers.filter(status=status)
    if warehouse_id is not None:
        transfers = transfers.filter(from_warehouse_id=warehouse_id) | transfers.filter(
            to_warehouse_id=warehouse_id
        )
    return transfers


class TransferSuggestion(NamedTuple):
    """A warehouse that could send stock to fill a shortfall, and how much."""

    warehouse: Warehouse
    available: int  # on hand − reserved − already requested away by open transfers
    quantity: int  # what to transfer: the shortfall, or all that is available when less
    distance_km: float | None


def transfer_suggestions(*, product_id: int, warehouse_id: int, quantity: int) -> list[TransferSuggestion]:
    """Where `quantity` units of a product missing at `warehouse_id` could come from, nearest first.

    Every other active warehouse with available stock of the product, less what requested (not yet
    shipped) transfers will take from it. Nearest by great-circle distance; warehouses without
    coordinates (or a destination without them) come last, by code. Reads only: two queries.
    """
    destination = Warehouse.objects.filter(pk=warehouse_id).first()
    levels = list(
        StockLevel.objects.filter(product_id=product_id, warehouse__is_active=True)
        .exclude(warehouse_id=warehouse_id)
        .select_related("warehouse")
        .annotate(
            requested_away=Coalesce(
                Subquery(
                    StockTransferLine.objects.filter(
                        product_id=OuterRef("product_id"),
                        transfer__from_warehouse_id=OuterRef("warehouse_id"),
                        transfer__status=TransferStatus.REQUESTED,
                    )
                    .values("product_id")
                    .annotate(total=Sum("quantity"))
                    .values("total")[:1]
                ),
                0,
            )
        )
    )
    suggestions = []
    for level in levels:
        available = level.on_hand - level.reserved - level.requested_away
        if available <= 0:
            continue
        source = level.warehouse
        distance = None
        if destination is not None and None not in (
            source.latitude,
            source.longitude,
            destination.latitude,
            destination.longitude,
        ):
            distance = haversine_km(
                source.latitude, source.longitude, destination.latitude, destination.longitude
            )
        suggestions.append(
            TransferSuggestion(
                warehouse=source, available=available, quantity=min(available, quantity), distance_km=distance
            )
        )
    suggestions.sort(key=lambda s: (s.distance_km is None, s.distance_km or 0.0, s.warehouse.code))
    return suggestions


def stock_alert_list_open(*, kind: str | None = None):
    """Open stock alerts, worst first (least available), with product, warehouse and the row's
    available now (`available_now`, None when the row is gone)."""
    available = StockLevel.objects.filter(
        product_id=OuterRef("product_id"), warehouse_id=OuterRef("warehouse_id")
    ).values(available=F("on_hand") - F("reserved"))
    alerts = (
        StockAlert.objects.filter(status=StockAlertStatus.OPEN)
        .select_related("product", "warehouse")
        .annotate(available_now=Subquery(available[:1]))
    )
    if kind is not None:
        alerts = alerts.filter(kind=StockAlertKind(kind))
    return alerts.order_by("available_now", "product__sku", "warehouse__code")


def stock_threshold_annotations() -> dict:
    """Annotations for StockLevel querysets: `low_at`, `over_at` (the effective thresholds, the row's
    own else its category's; NULL = none) and `available_now`."""
    return {
        "low_at": Coalesce(
            F("reorder_point"), F("product__category__default_low_stock"), output_field=IntegerField()
        ),
        "over_at": Coalesce(
            F("over_stock_threshold"),
            F("product__category__default_over_stock"),
            output_field=IntegerField(),
        ),
        "available_now": F("on_hand") - F("reserved"),
    }


def stock_levels_watched() -> QuerySet[StockLevel]:
    """Watched stock rows, annotated as `stock_threshold_annotations` says."""
    return StockLevel.objects.filter(
        product__is_active=True, product__made_to_order=False, warehouse__is_active=True
    ).annotate(**stock_threshold_annotations())


def shipping_cost_table(*, warehouse_ids=None, regions=None) -> dict[tuple[int, str], tuple]:
    """Shipping-cost rows as {(warehouse_id, region): (per_shipment, per_unit)}; one query."""
    rows = WarehouseShippingCost.objects.all()
    if warehouse_ids is not None:
        rows = rows.filter(warehouse_id__in=list(warehouse_ids))
    if regions is not None:
        rows = rows.filter(region__in=list(regions))
    return {
        (warehouse_id, region): (per_shipment, per_unit)
        for warehouse_id, region, per_shipment, per_unit in rows.values_list(
            "warehouse_id", "region", "per_shipment", "per_unit"
        )
    }


def shipping_costs_to(*, region: str, warehouse_ids, table=None) -> dict[int, tuple]:
    """{warehouse_id: (per_shipment, per_unit)} for shipping to `region`: the region's own row, else
    the warehouse's catch-all row (empty region). Warehouses with neither are absent.

    `table`: a `shipping_cost_table()` the caller read earlier (allocation keeps one per process);
    without it, one query.
    """
    region = region or ""
    if table is None:
        table = shipping_cost_table(warehouse_ids=warehouse_ids, regions={region, ""})
    costs: dict[int, tuple] = {}
    for warehouse_id in warehouse_ids:
        cost = table.get((warehouse_id, region)) or table.get((warehouse_id, ""))
        if cost is not None:
            costs[warehouse_id] = cost
    return costs
