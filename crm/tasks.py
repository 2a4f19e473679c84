"""Celery entry points of crm: one service call each (STYLE.md §5)."""

from celery import shared_task

from core.sweeps import sweep_continue
from crm.services import sign_in_records_purge, user_password_change_notify, user_password_reset_send

# An SMTP server that is down or refuses for a while (OSError covers smtplib's errors and sockets) is
# retried with backoff, well inside a reset link's lifetime; the receipt makes a retry after a
# successful send a no-op.
MAIL_RETRY = {"autoretry_for": (OSError,), "retry_backoff": 30, "retry_backoff_max": 600, "max_retries": 5}


@shared_task(ignore_result=True, **MAIL_RETRY)
def user_password_reset_send_task(
    user_id: int, domain: str, protocol: str, language: str, event_id: str | None = None
):
    user_password_reset_send(
        user_id=user_id, domain=domain, protocol=protocol, language=language, event_id=event_id
    )


@shared_task(ignore_result=True, **MAIL_RETRY)
def user_password_change_notify_task(
    user_id: int,
    via: str,
    changed_at: str,
    client_address: str,
    domain: str,
    protocol: str,
    language: str,
    event_id: str | None = None,
):
    user_password_change_notify(
        user_id=user_id,
        via=via,
        changed_at=changed_at,
        client_address=client_address,
        domain=domain,
        protocol=protocol,
        language=language,
        event_id=event_id,
    )


@shared_task(ignore_result=True)
def sign_in_records_purge_task(batch: int = 1000):
    """Sweep: delete django-axes records older than AXES_LOG_RETENTION_DAYS (ASVS 8.3.x: kept no longer
    than needed)."""
    sweep_continue(sign_in_records_purge_task, sign_in_records_purge(batch=batch), batch=batch)
