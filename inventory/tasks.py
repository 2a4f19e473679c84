"""Celery entry points of inventory (STYLE.md §5)."""

import logging

from celery import shared_task

from inventory.selectors import stock_drift
from inventory.services import stock_alert_notify, stock_alerts_evaluate

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def stock_check_task() -> int:
    """Nightly: compare balances with the ledger; each drifting balance is logged at ERROR level."""
    drift = stock_drift()
    for row in drift:
        logger.error(
            "Stock drift: product %s warehouse %s on hand %s (ledger %s), reserved %s (ledger %s)",
            row.product_id,
            row.warehouse_id,
            row.on_hand,
            row.ledger_on_hand,
            row.reserved,
            row.ledger_reserved,
        )
    return len(drift)


@shared_task(ignore_result=True)
def stock_alerts_evaluate_task() -> int:
    """Periodic: raise stock alerts for new threshold crossings, resolve recovered ones."""
    return len(stock_alerts_evaluate().raised)


# A mail server that is down for a while (OSError covers smtplib's errors and sockets) is retried with
# backoff; the receipt makes a retry after a successful send a no-op.
@shared_task(
    ignore_result=True, autoretry_for=(OSError,), retry_backoff=30, retry_backoff_max=600, max_retries=5
)
def stock_alert_notify_task(alert_id: int, event_id: str | None = None) -> int:
    return stock_alert_notify(alert_id=alert_id, event_id=event_id)
