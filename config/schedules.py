"""Every periodic job of the system, in one place (STYLE.md §5).

Each entry is a sweep (core.sweeps): its service selects the rows that are due and handles a bounded
batch; the task re-enqueues itself while rows remain.
"""

import os
from datetime import timedelta

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # The catch-up path of the outbox relay: events whose fast path failed (broker down or hung).
    "core-relay-outbox": {
        "task": "core.tasks.outbox_relay_task",
        "schedule": timedelta(seconds=10),
    },
    "core-purge-outbox": {
        "task": "core.tasks.outbox_purge_task",
        "schedule": timedelta(hours=1),
    },
    # Notification e-mails the after-commit path missed, and retries of failed ones (with backoff).
    "core-send-notifications": {
        "task": "core.tasks.notifications_send_due_task",
        "schedule": timedelta(minutes=1),
    },
    # Expired browser sessions (core.sessions): what `manage.py clearsessions` does.
    "core-clear-expired-sessions": {
        "task": "core.tasks.session_clear_expired_task",
        "schedule": timedelta(hours=1),
    },
    # django-axes records older than AXES_LOG_RETENTION_DAYS.
    "crm-purge-sign-in-records": {
        "task": "crm.tasks.sign_in_records_purge_task",
        "schedule": timedelta(days=1),
    },
    # Balances recomputed from the stock ledger; any drift is logged at ERROR level.
    "inventory-stock-check": {
        "task": "inventory.tasks.stock_check_task",
        "schedule": crontab(hour=3, minute=15),
    },
    # Approved orders no allocation message reached, then every backorder, most urgent first.
    "orders-allocation-sweep": {
        "task": "orders.tasks.order_allocation_sweep_task",
        "schedule": timedelta(minutes=10),
    },
    # Committed demand (units promised to open orders, not reserved yet): each product's ledger folded
    # to one row (orders.services.commitments).
    "orders-fold-committed-demand": {
        "task": "orders.tasks.committed_demand_fold_task",
        "schedule": timedelta(minutes=10),
    },
    # Committed demand compared with the order lines; any drift is logged at ERROR level.
    "orders-committed-demand-check": {
        "task": "orders.tasks.committed_demand_check_task",
        "schedule": crontab(hour=3, minute=25),
    },
    # Stock thresholds: raise an alert per new crossing, resolve those back on the right side.
    # STOCK_ALERT_EVALUATE_MINUTES is read here from the environment: settings import this module.
    "inventory-evaluate-stock-alerts": {
        "task": "inventory.tasks.stock_alerts_evaluate_task",
        "schedule": timedelta(minutes=float(os.environ.get("STOCK_ALERT_EVALUATE_MINUTES", "15"))),
    },
    # Open orders' priority as dates come closer and tiers change (a change of weights also starts it),
    # in batches of ORDER_PRIORITY_RESCORE_BATCH, a few queries each.
    "orders-rescore-priority": {
        "task": "orders.tasks.order_rescore_open_task",
        "schedule": timedelta(minutes=15),
    },
    # Production delays: stages past their planned finish, estimates past the promised date, missed
    # starts — each told once (production.services.delays), recoveries cleared. Read here from the
    # environment, like STOCK_ALERT_EVALUATE_MINUTES.
    "production-delays-sweep": {
        "task": "production.tasks.delays_sweep_task",
        "schedule": timedelta(minutes=float(os.environ.get("PRODUCTION_DELAY_SWEEP_MINUTES", "5"))),
    },
    # Production materials: which planned work orders' components are short (the purchasing list), in
    # planned-start order; also run when stock arrives (production.apps).
    "production-materials-shortages": {
        "task": "production.tasks.materials_refresh_shortages_task",
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
    # Overdue reminders (friendly → firm → final), then credit holds past the final level; once a day,
    # in the morning (CELERY_TIMEZONE). Running twice sends nothing twice.
    "finance-dunning": {
        "task": "finance.tasks.dunning_run_task",
        "schedule": crontab(hour=7, minute=0),
    },
    # Every customer's credit position recomputed from invoices and orders; drift corrected and logged.
    "finance-credit-repair": {
        "task": "finance.tasks.credit_positions_repair_task",
        "schedule": crontab(hour=2, minute=30),
    },
    "restapi-purge-idempotency-keys": {
        "task": "restapi.tasks.idempotency_key_purge_task",
        "schedule": timedelta(hours=1),
    },
}
