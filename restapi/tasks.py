from celery import shared_task

from restapi.services import idempotency_key_purge


@shared_task(ignore_result=True)
def idempotency_key_purge_task():
    if idempotency_key_purge() >= 5000:
        idempotency_key_purge_task.delay()
