"""Row locks of stock balances, always taken in one global order (STYLE.md §4).

Every writer locks the StockLevel rows it will move ordered by (product_id, warehouse_id) — the
rows' natural key, unique — and evaluates the query before writing, so two writers touching the
same rows queue behind each other and never deadlock.
"""

import operator
from collections.abc import Iterable
from functools import reduce

from django.db.models import Q

from inventory.models import StockLevel, StockTransfer

Key = tuple[int, int]  # (product_id, warehouse_id)


def match(keys: list[Key]) -> Q:
    """The rows of exactly these (product_id, warehouse_id) keys."""
    return reduce(operator.or_, (Q(product_id=p, warehouse_id=w) for p, w in keys))


def stock_levels_for_update(keys: Iterable[Key]) -> dict[Key, StockLevel]:
    """Lock the existing StockLevel rows of `keys` in (product_id, warehouse_id) order; evaluated.

    Missing rows are simply absent from the result. Must run inside a transaction.
    """
    keys = sorted(set(keys))
    if not keys:
        return {}
    rows = list(
        StockLevel.objects.select_for_update(of=("self",))
        .filter(match(keys))
        .order_by("product_id", "warehouse_id")
    )
    return {(row.product_id, row.warehouse_id): row for row in rows}


def stock_levels_create_missing(keys: Iterable[Key]) -> None:
    """Create the missing StockLevel rows of `keys` (zero balances) without locking anything.

    INSERT … ON CONFLICT DO NOTHING: two writers creating the same row at once both go on.
    """
    keys = sorted(set(keys))
    if not keys:
        return
    existing = set(StockLevel.objects.filter(match(keys)).values_list("product_id", "warehouse_id"))
    missing = [key for key in keys if key not in existing]
    if missing:
        StockLevel.objects.bulk_create(
            [StockLevel(product_id=p, warehouse_id=w) for p, w in missing], ignore_conflicts=True
        )


def stock_levels_ensure_for_update(keys: Iterable[Key]) -> dict[Key, StockLevel]:
    """Lock the StockLevel rows of `keys` in the usual order, creating the missing ones first."""
    keys = sorted(set(keys))
    stock_levels_create_missing(keys)
    return stock_levels_for_update(keys)


def stock_levels_of_products_for_update(product_ids, warehouse_ids) -> dict[Key, StockLevel]:
    """Lock every existing StockLevel row of these products in these warehouses, in the usual order.

    The same global (product_id, warehouse_id) order as `stock_levels_for_update`, so the two mix
    without deadlocks; one `IN × IN` query instead of one OR per key. Must run inside a transaction.
    """
    product_ids, warehouse_ids = sorted(set(product_ids)), sorted(set(warehouse_ids))
    if not product_ids or not warehouse_ids:
        return {}
    rows = list(
        StockLevel.objects.select_for_update(of=("self",))
        .filter(product_id__in=product_ids, warehouse_id__in=warehouse_ids)
        # What a reservation reads (a batch of allocations locks hundreds of rows): the other
        # columns (thresholds) are deferred.
        .only("id", "product_id", "warehouse_id", "on_hand", "reserved")
        .order_by("product_id", "warehouse_id")
    )
    return {(row.product_id, row.warehouse_id): row for row in rows}


def transfer_for_update(transfer_id: int):
    """Lock one StockTransfer row; evaluated. None when there is none.

    A transfer service locks its transfer first and its stock rows after (in the order above);
    no stock writer locks a transfer, so the two orders never cross.
    """
    return StockTransfer.objects.select_for_update(of=("self",)).filter(pk=transfer_id).first()
