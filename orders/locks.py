"""Row locks for orders. Several orders are always locked in primary-key order (no deadlocks)."""

from orders.models import Order


def order_for_update(order_id: int) -> Order:
    return Order.objects.select_for_update().get(pk=order_id)


def orders_for_update(order_ids) -> list[Order]:
    return list(Order.objects.select_for_update().filter(pk__in=order_ids).order_by("pk"))
