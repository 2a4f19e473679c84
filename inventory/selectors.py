import datetime as dt

from django.db.models import F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from inventory.models import Product, StockLevel, Warehouse


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
