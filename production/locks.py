"""Row locks of production (STYLE.md §4), one place for each: always a work order's own row first,
then its order (orders' services), then stock rows (inventory's); production lines before any work
order (scheduling)."""

from core.errors import NotFound
from production.models import WorkOrder


def work_order_for_update(
    work_order_id: int, *, related: tuple[str, ...] = ("plant",), missing=None
) -> WorkOrder:
    """Lock one work order's row — only its own (`of`), the rows in `related` are read with it, not
    locked. Raises `missing` (default NotFound) when there is no such work order."""
    work_order = (
        WorkOrder.objects.select_for_update(of=("self",))
        .select_related(*related)
        .filter(pk=work_order_id)
        .first()
    )
    if work_order is None:
        raise missing or NotFound()
    return work_order
