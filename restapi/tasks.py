from celery import shared_task

from core.sweeps import sweep_continue
from restapi.services import idempotency_key_purge


@shared_task(ignore_result=True)
def idempotency_key_purge_task(batch: int = 5000):
    sweep_continue(idempotency_key_purge_task, idempotency_key_purge(batch=batch), batch=batch)
