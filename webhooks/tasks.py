from celery import shared_task
from django.db import OperationalError

from core.sweeps import sweep_continue
from webhooks import limits
from webhooks.services import (
    webhook_deliver_due,
    webhook_delivery_attempt,
    webhook_endpoint_notify_disabled,
    webhook_fanout,
)

# Retries here cover only a database that was briefly unreachable; a receiver's failures are retried
# by the delivery's own schedule in the database (webhook_deliver_due_task), never by Celery.
DB_RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "max_retries": 5,
}
SWEEP_BATCH = 200


@shared_task(ignore_result=True, **DB_RETRY)
def webhook_fanout_task(event_type: str, event_id: str, payload: dict, occurred_at: str | None = None):
    webhook_fanout(event_type=event_type, event_id=event_id, payload=payload, occurred_at=occurred_at)


@shared_task(ignore_result=True, **DB_RETRY)
def webhook_fanout_many_task(events: list[dict]):
    """The fan-out of events relayed together ({event_type, event_id, payload} each), one after the
    other; a retry runs them all again, which creates nothing twice ((endpoint, event_id) is unique)."""
    for event in events:
        webhook_fanout(event_type=event["event_type"], event_id=event["event_id"], payload=event["payload"])


# The transport bounds the HTTP exchange itself; these limits stop anything else hanging (a DNS
# lookup), and the claim's lease outlives the hard limit (webhooks.limits).
@shared_task(
    ignore_result=True,
    soft_time_limit=limits.task_soft_time_limit(),
    time_limit=limits.task_time_limit(),
    **DB_RETRY,
)
def webhook_deliver_task(delivery_id: int):
    webhook_delivery_attempt(delivery_id=delivery_id)


def _enqueue_delivery(delivery_id: int) -> None:
    webhook_deliver_task.delay(delivery_id=delivery_id)


@shared_task(ignore_result=True)
def webhook_deliver_due_task(after: list | None = None, batch: int = SWEEP_BATCH):
    """Sweep: queue one delivery task per due delivery, a bounded batch at a time (webhook_deliver_due)."""
    sweep_continue(
        webhook_deliver_due_task,
        webhook_deliver_due(enqueue=_enqueue_delivery, after=after, batch=batch),
        batch=batch,
    )


@shared_task(
    ignore_result=True, autoretry_for=(OSError,), retry_backoff=60, retry_backoff_max=1800, max_retries=5
)
def webhook_endpoint_notify_disabled_task(endpoint_id: int, event_id: str | None = None):
    webhook_endpoint_notify_disabled(endpoint_id=endpoint_id, event_id=event_id)
