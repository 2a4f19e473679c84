"""Every periodic job of the system, in one place (STYLE.md §5).

Each entry is a sweep: a selector finds the rows that are due and the task handles a bounded batch,
re-enqueuing itself while rows remain — or, for webhooks, fans the due ids out to one task each and
lets the next beat tick pick up the rest.
"""

from datetime import timedelta

BEAT_SCHEDULE = {
    "orders-rescore-priority": {
        "task": "orders.tasks.order_rescore_open_task",
        "schedule": timedelta(minutes=15),
    },
    "webhooks-retry-due": {
        "task": "webhooks.tasks.webhook_deliver_due_task",
        "schedule": timedelta(seconds=30),
    },
    "finance-mark-overdue-invoices": {
        "task": "finance.tasks.invoice_mark_overdue_due_task",
        "schedule": timedelta(hours=1),
    },
    "restapi-purge-idempotency-keys": {
        "task": "restapi.tasks.idempotency_key_purge_task",
        "schedule": timedelta(hours=1),
    },
}
