from celery import shared_task

from core.sweeps import sweep_continue
from finance.services import invoice_mark_overdue_due


@shared_task(ignore_result=True)
def invoice_mark_overdue_due_task(batch: int = 200):
    """Sweep: mark overdue invoices in bounded batches, re-enqueued while a batch comes back full."""
    sweep_continue(invoice_mark_overdue_due_task, invoice_mark_overdue_due(batch=batch), batch=batch)
