from celery import shared_task
from django.db import OperationalError


@shared_task(
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=5,
)
def order_score_priority_task(order_id: int):
    from orders.services import order_score_priority

    order_score_priority(order_id=order_id)


@shared_task(ignore_result=True)
def order_rescore_open_task(after_id: int = 0, batch: int = 500):
    """Sweep: rescore open orders in bounded batches (dates move closer every day)."""
    from orders.selectors import order_list_open
    from orders.services import order_score_priority

    ids = list(order_list_open().filter(pk__gt=after_id).values_list("pk", flat=True)[:batch])
    for order_id in ids:
        order_score_priority(order_id=order_id)
    if len(ids) == batch:
        order_rescore_open_task.delay(after_id=ids[-1], batch=batch)
