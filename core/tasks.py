from celery import shared_task
from django.db import OperationalError

from core.notifications import notification_send, notifications_send_due
from core.outbox import outbox_purge, outbox_relay
from core.services import session_clear_expired
from core.sweeps import sweep_continue

# The retry policy of tasks whose handlers are idempotent: a deadlock victim or a lost connection is
# tried again (`@shared_task(ignore_result=True, **DATABASE_RETRY)`).
DATABASE_RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": 2,
    "retry_backoff_max": 120,
    "max_retries": 8,
}


@shared_task(ignore_result=True)
def outbox_relay_task(after: list | None = None, batch: int = 200):
    """Sweep: hand pending domain events to their listeners (the catch-up path of core.outbox)."""
    sweep_continue(outbox_relay_task, outbox_relay(after=after, batch=batch), batch=batch)


@shared_task(ignore_result=True)
def outbox_purge_task(batch: int = 1000):
    sweep_continue(outbox_purge_task, outbox_purge(batch=batch), batch=batch)


@shared_task(ignore_result=True)
def session_clear_expired_task():
    """Purge expired browser sessions (ASVS 3.3.1, 8.3.8); `manage.py clearsessions` on a schedule."""
    session_clear_expired()


@shared_task(ignore_result=True)
def notification_send_task(
    keys: list[str] | None = None, event_id: str | None = None, key: str | None = None
):
    """Send the e-mails of the notices of the facts `keys` (after the commit that wrote them)."""
    notification_send(key=key, keys=keys or ())


@shared_task(ignore_result=True)
def notifications_send_due_task(after: int | None = None, batch: int = 100):
    """Sweep: e-mails the fast path missed, and retries of failed ones once their backoff is over."""
    sweep_continue(notifications_send_due_task, notifications_send_due(after=after, batch=batch), batch=batch)
