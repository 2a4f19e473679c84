"""Celery entry points of production: each takes ids, calls one service, owns its retry (STYLE.md §5)."""

import logging

from celery import shared_task
from django.db import OperationalError

from core.errors import DomainError
from production.services.scheduling import work_orders_cancel_for_order, work_orders_create_for_order

logger = logging.getLogger(__name__)

# A deadlock victim or a lost connection is tried again; a domain error is terminal (logged, stopped).
_RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": 2,
    "retry_backoff_max": 120,
    "max_retries": 8,
}


@shared_task(ignore_result=True, **_RETRY)
def work_orders_create_for_order_task(order_id: int, event_id: str | None = None):
    # Idempotent: lines that already have a work order get none (the service's guard, under line locks).
    try:
        work_orders_create_for_order(order_id=order_id)
    except DomainError as exc:
        logger.warning("order %s: work orders not created: %s (%s)", order_id, exc.code, exc.as_dict())


@shared_task(ignore_result=True, **_RETRY)
def work_orders_cancel_for_order_task(order_id: int, event_id: str | None = None, reason: str = ""):
    # Idempotent: only open work orders are cancelled.
    try:
        work_orders_cancel_for_order(order_id=order_id, reason=reason)
    except DomainError as exc:
        logger.warning("order %s: work orders not cancelled: %s (%s)", order_id, exc.code, exc.as_dict())
