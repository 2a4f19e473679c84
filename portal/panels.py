"""Home panels the shell builds from the apps below it (crm, inventory); config/portal_urls.py hands
them to the home view with the other apps' panels."""

from crm.selectors import is_sales_rep
from inventory.models import StockAlertKind
from inventory.selectors import stock_alert_list_open
from portal.views import Panel

LOW_STOCK_SHOWN = 10


def low_stock_panel(request) -> Panel | None:
    """For sales reps: the open low-stock alerts (product, warehouse, available now), worst first, so
    they know what will not ship from stock soon. Nothing when there are none."""
    if not is_sales_rep(request.user):
        return None
    alerts = stock_alert_list_open(kind=StockAlertKind.LOW)
    shown = list(alerts[: LOW_STOCK_SHOWN + 1])
    if not shown:
        return None
    more = alerts.count() - LOW_STOCK_SHOWN if len(shown) > LOW_STOCK_SHOWN else 0
    return Panel("portal/inventory/_low_stock_notice.html", {"alerts": shown[:LOW_STOCK_SHOWN], "more": more})
