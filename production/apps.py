from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The listeners below only queue a task, passing the event id on (STYLE.md §2, §5); the services are
# idempotent, so a redelivered event changes nothing.
SCHEDULABLE = frozenset({"approved", "allocated", "in_production"})


def enqueue_work_orders(name: str, *, event_id: str, order_id: int, **payload) -> None:
    """Approved (or released back to approved): queue the work orders of its built lines."""
    from production.tasks import work_orders_create_for_order_task  # noqa: PLC0415  (tasks import models)

    if name == "order.released" and payload.get("status") not in SCHEDULABLE:
        return
    work_orders_create_for_order_task.delay(order_id=order_id, event_id=event_id)


def enqueue_work_orders_cancel(name: str, *, event_id: str, order_id: int, **payload) -> None:
    """Cancelled or rejected: queue the cancellation of its open work orders."""
    from production.tasks import work_orders_cancel_for_order_task  # noqa: PLC0415

    work_orders_cancel_for_order_task.delay(order_id=order_id, event_id=event_id, reason=name)


def enqueue_shortage_refresh(name: str, *, event_id: str, **payload) -> None:
    """Stock arrived: work orders short of components may now be covered."""
    from production.tasks import materials_refresh_shortages_task  # noqa: PLC0415

    materials_refresh_shortages_task.delay(event_id=event_id)


class ProductionConfig(AppConfig):
    name = "production"
    verbose_name = _("Production")

    def ready(self):
        from core import events  # noqa: PLC0415  (models are loaded only now)

        events.subscribe("order.approved", enqueue_work_orders)
        events.subscribe("order.released", enqueue_work_orders)
        # A rejection can follow a change that sent an order in production back to review.
        for name in ("order.cancelled", "order.rejected"):
            events.subscribe(name, enqueue_work_orders_cancel)
        events.subscribe("stock.replenished", enqueue_shortage_refresh)
