import logging

from celery import shared_task
from django.db import OperationalError

from core.sweeps import sweep_continue
from core.tasks import DATABASE_RETRY
from orders.selectors import committed_demand_drift
from orders.services import order_rescore_open, order_review_open, order_score_priority
from orders.services.allocation import (
    allocation_wakeups,
    order_backorders_retry,
    order_release_cancelled,
    orders_allocate_backlog,
)
from orders.services.commitments import committed_demand_fold_sweep

logger = logging.getLogger(__name__)


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
def order_rescore_open_task(after: int | None = None, batch: int | None = None, event_id: str | None = None):
    """Sweep: rescore open orders in bounded batches, re-enqueued while a batch comes back full. Started
    by the beat and by a change of the priority weights (`event_id`: that event; a sweep is idempotent)."""
    sweep = order_rescore_open(after=after, batch=batch)
    sweep_continue(order_rescore_open_task, sweep, **({"batch": batch} if batch else {}))


@shared_task(ignore_result=True, **DATABASE_RETRY)
def order_review_open_task(order_id: int, event_id: str | None = None):
    # Idempotent: only a submitted order's review is opened (orders.services.review.order_review_open).
    order_review_open(order_id=order_id)


@shared_task(ignore_result=True, **DATABASE_RETRY)
def order_submitted_task(order_id: int, event_id: str | None = None):
    """A submitted order's follow-up, one message for both: its priority score, then its review opened.

    Both are idempotent (a changed score only; only a submitted order's review opens), so a redelivered
    event or a retry does each once. Scoring failing for its own reasons does not hold the review up:
    the rescoring sweep (orders-rescore-priority) scores the order later.
    """
    try:
        order_score_priority(order_id=order_id)
    except OperationalError:
        raise
    except Exception:
        logger.exception("priority scoring of order %s failed; its review is opened all the same", order_id)
    order_review_open(order_id=order_id)


# Stock allocation (orders.services.allocation). Every handler is idempotent by construction: it
# reserves only what an order still needs and releases only what it still holds, under the order lock.


@shared_task(ignore_result=True, **DATABASE_RETRY)
def order_allocate_task(order_id: int, event_id: str | None = None):
    # A wake-up: this order and the most urgent others still waiting, in one batch.
    orders_allocate_backlog(order_id=order_id)


@shared_task(ignore_result=True, **DATABASE_RETRY)
def order_release_stock_task(order_id: int, event_id: str | None = None):
    order_release_cancelled(order_id=order_id)


@shared_task(ignore_result=True, **DATABASE_RETRY)
def order_backorders_retry_task(product_ids: list[int] | None = None, event_id: str | None = None):
    order_backorders_retry(product_ids=product_ids)


@shared_task(ignore_result=True)
def order_allocation_sweep_task():
    """Periodic catch-up: approved orders nobody allocated yet (one wake-up per batch of them: each
    allocates the most urgent waiting), then every backorder, most urgent first."""
    for order_id in allocation_wakeups():
        order_allocate_task.delay(order_id=order_id)
    order_backorders_retry_task.delay()


@shared_task(ignore_result=True)
def committed_demand_fold_task(after: int | None = None, batch: int = 500):
    """Periodic sweep: fold every product's committed-demand ledger to one row, `batch` products a task
    (intake folds the products it finds crowded; this keeps the others' reads short too)."""
    sweep = committed_demand_fold_sweep(after=after, batch=batch)
    sweep_continue(committed_demand_fold_task, sweep, batch=batch)


@shared_task(ignore_result=True)
def committed_demand_check_task() -> int:
    """Nightly: compare each product's committed demand with its lines; drift is logged at ERROR level
    (`manage.py committed_demand_check --repair` recounts it)."""
    drift = committed_demand_drift()
    for product_id, (ledger, recorded, expected) in sorted(drift.items()):
        logger.error(
            "Committed demand drift: product %s ledger %s, lines record %s, lines count %s",
            product_id,
            ledger,
            recorded,
            expected,
        )
    return len(drift)
