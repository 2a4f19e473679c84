"""Row locks for orders. Several orders are always locked in primary-key order (no deadlocks)."""

from core.errors import NotFound
from orders.models import Order


def order_for_update(order_id: int) -> Order:
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise NotFound()
    return order


def orders_for_update(order_ids) -> list[Order]:
    return list(Order.objects.select_for_update().filter(pk__in=order_ids).order_by("pk"))
