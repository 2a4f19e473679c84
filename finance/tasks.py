from celery import shared_task
from django.db import OperationalError

from core.sweeps import sweep_continue
from finance.services import (
    credit_positions_repair,
    dunning_run,
    invoice_mark_overdue_due,
    order_credit_refresh,
)


@shared_task(ignore_result=True)
def invoice_mark_overdue_due_task(batch: int = 200):
    """Sweep: mark overdue invoices in bounded batches, re-enqueued while a batch comes back full."""
    sweep_continue(invoice_mark_overdue_due_task, invoice_mark_overdue_due(batch=batch), batch=batch)


@shared_task(
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=5,
)
def order_credit_refresh_task(order_id: int, event_id: str | None = None):
    # A refresh recomputes from the tables, so a redelivered event needs no receipt.
    order_credit_refresh(order_id=order_id)


@shared_task(ignore_result=True)
def credit_positions_repair_task(after: int | None = None, batch: int = 500):
    """Nightly sweep: every customer's credit position recomputed, drift corrected and logged."""
    sweep_continue(
        credit_positions_repair_task, credit_positions_repair(after=after, batch=batch), batch=batch
    )


@shared_task(
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=5,
)
def dunning_run_task(after: int | None = None, batch: int | None = None):
    """Daily sweep: overdue reminders in batches, re-enqueued while a batch comes back full; then holds.

    Running it twice, or two at once, sends nothing twice (finance.services.dunning)."""
    sweep_continue(dunning_run_task, dunning_run(after=after, batch=batch), batch=batch)
