import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from django.db import connection
from django.db.models import F, IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from inventory.allocation import haversine_km
from inventory.models import (
    Product,
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
    """Earliest date `quantity` can leave a warehouse: tomorrow from stock, else after the lead time."""
    today = today or timezone.localdate()
    if not custom_build and not product.made_to_order and available >= quantity:
        return today + dt.timedelta(days=1)
    return today + dt.timedelta(days=max(1, product.lead_time_days or 14))


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


def shipping_costs_to(*, region: str, warehouse_ids) -> dict[int, tuple]:
    """{warehouse_id: (per_shipment, per_unit)} for shipping to `region`: the region's own row, else
    the warehouse's catch-all row (empty region). Warehouses with neither are absent. One query."""
    rows = WarehouseShippingCost.objects.filter(
        warehouse_id__in=list(warehouse_ids), region__in=[region or "", ""]
    ).values_list("warehouse_id", "region", "per_shipment", "per_unit")
    costs: dict[int, tuple] = {}
    for warehouse_id, row_region, per_shipment, per_unit in rows:
        if row_region or warehouse_id not in costs:
            costs[warehouse_id] = (per_shipment, per_unit)
    return costs
