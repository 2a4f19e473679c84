from celery import shared_task


@shared_task(ignore_result=True)
def invoice_mark_overdue_due_task(batch: int = 200):
    """Sweep: mark overdue invoices in bounded batches, re-enqueued while a batch comes back full."""
    from finance.services import invoice_mark_overdue_due

    if invoice_mark_overdue_due(batch=batch) >= batch:
        invoice_mark_overdue_due_task.delay(batch=batch)
