from celery import shared_task


@shared_task(ignore_result=True)
def idempotency_key_purge_task():
    from core.services import idempotency_key_purge

    if idempotency_key_purge() >= 5000:
        idempotency_key_purge_task.delay()
