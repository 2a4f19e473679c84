from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Order events that move a customer's exposure (an order starts or stops counting, or its total
# changes); finance.services.credit refreshes the customer. The nightly repair catches anything else.
CREDIT_EVENTS = ("order.submitted", "order.updated", "order.cancelled", "order.rejected", "order.completed")


def enqueue_credit_refresh(name: str, *, event_id: str, order_id: int, **payload) -> None:
    """Domain event listener: queue the refresh of the order's customer's credit position, nothing else."""
    from finance.tasks import order_credit_refresh_task  # noqa: PLC0415  (tasks import the app's models)

    order_credit_refresh_task.delay(order_id=order_id, event_id=event_id)


class FinanceConfig(AppConfig):
    name = "finance"
    verbose_name = _("Finance")

    def ready(self):
        from core import events  # noqa: PLC0415  (models are loaded only now)

        for name in CREDIT_EVENTS:
            events.subscribe(name, enqueue_credit_refresh)
