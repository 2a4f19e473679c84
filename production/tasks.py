from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from core.sweeps import Sweep, sweep_continue
from production.services.delays import delays_sweep


@shared_task(
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=5,
)
def delays_sweep_task(limit: int | None = None):
    """Sweep (beat, every PRODUCTION_DELAY_SWEEP_MINUTES): record and tell new delays, clear recovered
    ones, a batch of PRODUCTION_DELAY_SWEEP_BATCH work orders at a time, re-enqueued after a full batch.
    Every handled work order leaves the due set, so the chain ends; what is told once is decided by the
    stored `work_order.delayed` entries (production.services.delays), not by this task."""
    limit = limit or settings.PRODUCTION_DELAY_SWEEP_BATCH
    handled = delays_sweep(limit=limit)
    sweep_continue(delays_sweep_task, Sweep(handled=handled, more=handled >= limit), limit=limit)
