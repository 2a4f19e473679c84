from celery import shared_task
from django.db import OperationalError

# Retries here cover only a database that was briefly unreachable; a receiver's failures are retried
# by the delivery's own schedule in the database (webhook_deliver_due_task), never by Celery.
DB_RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": 5, "retry_backoff_max": 300, "max_retries": 5}


@shared_task(ignore_result=True, **DB_RETRY)
def webhook_fanout_task(event_type: str, event_id: str, payload: dict, occurred_at: str | None = None):
    from webhooks.services import webhook_fanout

    webhook_fanout(event_type=event_type, event_id=event_id, payload=payload, occurred_at=occurred_at)


@shared_task(ignore_result=True, **DB_RETRY)
def webhook_deliver_task(delivery_id: int):
    from webhooks.services import webhook_delivery_attempt

    webhook_delivery_attempt(delivery_id=delivery_id)


@shared_task(ignore_result=True)
def webhook_deliver_due_task(batch: int = 50):
    """Sweep: attempt due deliveries in bounded batches, re-enqueueing itself while rows remain.

    Each attempt moves its delivery's next try into the future (or finishes it), so the next batch
    never sees the same rows.
    """
    from webhooks.selectors import webhook_delivery_list_due
    from webhooks.services import webhook_delivery_attempt

    ids = list(webhook_delivery_list_due().values_list("pk", flat=True)[:batch])
    for delivery_id in ids:
        webhook_delivery_attempt(delivery_id=delivery_id)
    if len(ids) == batch:
        webhook_deliver_due_task.delay(batch=batch)


@shared_task(ignore_result=True, autoretry_for=(OSError,), retry_backoff=60, retry_backoff_max=1800, max_retries=5)
def webhook_endpoint_notify_disabled_task(endpoint_id: int):
    from webhooks.services import webhook_endpoint_notify_disabled

    webhook_endpoint_notify_disabled(endpoint_id=endpoint_id)
