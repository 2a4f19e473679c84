"""Celery entry points of inventory (STYLE.md §5)."""

import logging

from celery import shared_task

from inventory.selectors import stock_drift

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
