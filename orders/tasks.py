from celery import shared_task
from django.db import OperationalError

from core.sweeps import sweep_continue
from orders.services import order_rescore_open, order_score_priority


@shared_task(
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=5,
)
def order_score_priority_task(order_id: int, event_id: str | None = None):
    # Scoring is idempotent (it writes only a changed score), so a redelivered event needs no receipt.
    order_score_priority(order_id=order_id)


@shared_task(ignore_result=True)
def order_rescore_open_task(after: int | None = None, batch: int = 500):
    """Sweep: rescore open orders in bounded batches, re-enqueued while a batch comes back full."""
    sweep_continue(order_rescore_open_task, order_rescore_open(after=after, batch=batch), batch=batch)
