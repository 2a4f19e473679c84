from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Changes that move an order's priority: its tier-independent inputs (lines → total, dates, address).
RESCORING_FIELDS = frozenset({"lines", "requested_delivery_date", "shipping_address"})


def enqueue_priority_scoring(name: str, *, event_id: str, order_id: int, **payload) -> None:
    """Domain event listener: queue the order's priority scoring, nothing else (STYLE.md §2)."""
    from orders.tasks import order_score_priority_task  # noqa: PLC0415  (tasks import the app's models)

    if name == "order.updated" and not RESCORING_FIELDS & set(payload.get("fields", ())):
        return
    order_score_priority_task.delay(order_id=order_id, event_id=event_id)


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self):
        from core import events  # noqa: PLC0415  (models are loaded only now)
        from orders.states import OrderStatus  # noqa: PLC0415

        # Every status an order reaches (creation included) and every edit may change its score.
        for name in [f"order.{status}" for status in OrderStatus.values] + [
            "order.released",
            "order.updated",
        ]:
            events.subscribe(name, enqueue_priority_scoring)
