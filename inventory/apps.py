from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def enqueue_stock_alert_notify(name: str, *, event_id: str, stock_alert_id: int, **payload) -> None:
    """Queue the mail of a `stock.alert_raised` event; the service sends it once per event id."""
    from inventory.tasks import stock_alert_notify_task  # noqa: PLC0415  (tasks import the app's models)

    stock_alert_notify_task.delay(alert_id=stock_alert_id, event_id=event_id)


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = _("Inventory")

    def ready(self):
        from core import events  # noqa: PLC0415  (models are loaded only now)
        from inventory.alerts import STOCK_ALERT_RAISED  # noqa: PLC0415

        events.subscribe(STOCK_ALERT_RAISED, enqueue_stock_alert_notify)
