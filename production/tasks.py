"""Celery entry points of production: each takes ids, calls one service, owns its retry (STYLE.md §5)."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from core.errors import DomainError
from core.sweeps import Sweep, sweep_continue
from core.tasks import DATABASE_RETRY
from production.services.delays import delays_sweep
from production.services.materials import materials_refresh_shortages
from production.services.scheduling import work_orders_cancel_for_order, work_orders_create_for_order

logger = logging.getLogger(__name__)
# DATABASE_RETRY: a deadlock victim or a lost connection is tried again; a domain error is terminal
# (logged, stopped).


@shared_task(ignore_result=True, **DATABASE_RETRY)
def work_orders_create_for_order_task(order_id: int, event_id: str | None = None):
    # Idempotent: lines that already have a work order get none (the service's guard, under line locks).
    try:
        work_orders_create_for_order(order_id=order_id)
    except DomainError as exc:
        logger.warning("order %s: work orders not created: %s (%s)", order_id, exc.code, exc.as_dict())


@shared_task(ignore_result=True, **DATABASE_RETRY)
def work_orders_cancel_for_order_task(order_id: int, event_id: str | None = None, reason: str = ""):
    # Idempotent: only open work orders are cancelled.
    try:
        work_orders_cancel_for_order(order_id=order_id, reason=reason)
    except DomainError as exc:
        logger.warning("order %s: work orders not cancelled: %s (%s)", order_id, exc.code, exc.as_dict())


@shared_task(ignore_result=True, **DATABASE_RETRY)
def materials_refresh_shortages_task(plant_id: int | None = None, event_id: str | None = None):
    """Beat, and after stock arrives (`stock.replenished`): flag the planned work orders whose components
    are short, in planned-start order. Recomputed from the ledger each time, so repeats are harmless."""
    materials_refresh_shortages(plant_id=plant_id)


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
