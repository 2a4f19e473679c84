"""Delays: work orders running late, found by a periodic sweep and told once per delay.

A work order is late when a started stage runs past its planned finish, when its estimate (ETA)
falls after the date promised for its line, or when its planned start passed without a start
(production.selectors.delays: the rules, and which work orders are due). Each delay is told once:
a `work_order.delayed` timeline entry keyed by the delay, the order's timeline in words, the
`production.delayed` event (dealers' webhooks), and a notice to the order managers and the
customer's sales rep. A delay is not a status: `delayed_since` marks a work order late and is
cleared, silently, when it no longer is.
"""

import datetime as dt
import logging

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core import events
from core.errors import DomainError, NotFound
from core.notifications import notify_many
from crm.roles import ORDER_MANAGER
from crm.selectors import user_ids_in_role
from orders.services import order_line_production_update
from production.locks import work_order_for_update
from production.models import WorkOrder, WorkOrderEvent
from production.selectors.delays import (
    NOT_STARTED,
    STAGE_OVERRUN,
    Delay,
    work_order_delays,
    work_orders_delay_due,
)
from production.services.progress import work_order_eta_refresh
from production.states import WorkOrderEventKind, WorkOrderKind

logger = logging.getLogger(__name__)

PRODUCTION_DELAYED = "production.delayed"
NOTIFICATION_KIND = "production.delayed"


def delays_sweep(*, now: dt.datetime | None = None, limit: int = 200) -> int:
    """Handle up to `limit` work orders with something to do about delays (selectors.delays), oldest
    first, each in its own transaction; returns how many were handled.

    New delays are recorded and told (see `work_order_delays_record`); a work order late again after
    a recovery is marked; one no longer late is cleared. Every handled work order leaves the due set,
    so a caller re-running the sweep while it returns `limit` finishes. A work order whose handling
    raises a domain error is logged and skipped (the next run tries it again).
    """
    now = now or timezone.now()
    ids = list(work_orders_delay_due(now=now).values_list("pk", flat=True)[:limit])
    managers = user_ids_in_role(ORDER_MANAGER) if ids else []
    handled = 0
    for work_order_id in ids:
        try:
            work_order_delays_record(work_order_id=work_order_id, now=now, managers=managers)
        except DomainError as exc:
            logger.warning("delay sweep skipped work order %s: %s", work_order_id, exc)
            continue
        handled += 1
    return handled


def work_order_delays_record(
    *, work_order_id: int, now: dt.datetime | None = None, managers: list[int] | None = None
) -> WorkOrder | None:
    """Bring a work order's delay marks up to date at `now`, under its row lock.

    For each current delay not yet told (no `work_order.delayed` entry with its key): the timeline
    entry (data: reason, key, stage, planned, eta, promised), `production.delayed`, and a notice to the
    order managers (`managers`: user ids, default the Order manager group) and the customer's sales rep,
    keyed by the delay so it is sent once; for an order's work order one entry on the order's timeline
    ("running late; now expected …"). A new stage overrun or missed start first has the ETA
    recomputed (production.services.progress), so the dealer sees the date the delay leads to.
    `delayed_since` is set while late and cleared when not (a recovery, told to nobody).
    Idempotent; None when there is no such work order. Raises NotFound (the order service) if the
    order line is gone.
    """
    now = now or timezone.now()
    with transaction.atomic():
        try:
            work_order = _lock(work_order_id)
        except NotFound:
            return None
        delays = work_order_delays(work_order, list(work_order.stages.all()), now=now)
        told = _told_keys(work_order)
        if any(d.reason in (STAGE_OVERRUN, NOT_STARTED) and d.key not in told for d in delays):
            # The shop floor said nothing, but time passed: the estimate may move with it. A refresh
            # refused (in its own savepoint) leaves the estimate as it was; the delay is told anyway.
            try:
                work_order_eta_refresh(work_order_id=work_order.pk)
            except DomainError as exc:
                logger.warning("ETA of work order %s not refreshed: %s", work_order.pk, exc)
            work_order = _lock(work_order_id)
            delays = work_order_delays(work_order, list(work_order.stages.all()), now=now)
        new = [d for d in delays if d.key not in told]
        if delays and work_order.delayed_since is None:
            work_order.delayed_since = now
            work_order.save(update_fields=["delayed_since", "updated_at"])
        elif not delays and work_order.delayed_since is not None:
            work_order.delayed_since = None
            work_order.save(update_fields=["delayed_since", "updated_at"])
        if new:
            _tell(work_order, new, managers=user_ids_in_role(ORDER_MANAGER) if managers is None else managers)
        return work_order


def _lock(work_order_id: int) -> WorkOrder:
    # The order and line joined for reading are the order service's to lock, after this one — the same
    # order as the progress services: work order, then order.
    return work_order_for_update(work_order_id, related=("order__customer", "order_line", "product"))


def _told_keys(work_order: WorkOrder) -> set[str]:
    rows = WorkOrderEvent.objects.filter(work_order=work_order, kind=WorkOrderEventKind.DELAYED)
    return {(row.data or {}).get("key") for row in rows.only("data")}


def _iso_date(value: dt.datetime | None) -> str | None:
    return timezone.localdate(value).isoformat() if value else None


def _tell(work_order: WorkOrder, delays: list[Delay], *, managers: list[int]) -> None:
    order, line = work_order.order, work_order.order_line
    eta = _iso_date(work_order.eta)
    promised = work_order.promised_date.isoformat() if work_order.promised_date else None
    notices = []
    for delay in delays:
        data = {
            "key": delay.key,
            "reason": delay.reason,
            "stage_code": delay.stage_code,
            "stage": delay.stage,
            "planned": delay.planned.isoformat() if delay.planned else None,
            "eta": eta,
            "promised": promised,
        }
        WorkOrderEvent.record(work_order=work_order, kind=WorkOrderEventKind.DELAYED, data=data)
        events.emit(
            PRODUCTION_DELAYED,
            work_order_id=work_order.pk,
            number=work_order.number,
            order_id=work_order.order_id,
            order_number=order.number if order else None,
            customer_id=order.customer_id if order else None,
            line_id=work_order.order_line_id,
            sku=line.sku if line else (work_order.product.sku if work_order.product_id else ""),
            reason=delay.reason,
            stage=delay.stage,
            eta=eta,
            promised_date=promised,
        )
        if work_order.kind == WorkOrderKind.ORDER and order is not None:
            notices += _notices(work_order, data, managers=managers)
    if work_order.kind == WorkOrderKind.ORDER and line is not None:
        order_line_production_update(
            line_id=line.pk,
            step={"event": "delayed", "date": eta, "work_order": work_order.number, "stage": delays[0].stage},
        )
    if notices:
        notify_many(notices)


def _notices(work_order: WorkOrder, data: dict, *, managers: list[int]) -> list[dict]:
    """The order managers (the admin's order page) and the customer's sales rep (the portal's), told
    once per delay: the key names the work order and the delay."""
    order = work_order.order
    customer = order.customer
    context = {
        "order_number": order.number,
        "customer_name": customer.name,
        "customer_code": customer.code,
        "work_order": work_order.number,
        "sku": work_order.order_line.sku,
        **{name: data[name] for name in ("reason", "stage", "eta", "promised")},
    }
    key = f"{NOTIFICATION_KIND}:{work_order.pk}:{data['key']}"
    rep = customer.sales_rep_id
    notices = []
    staff = [user_id for user_id in managers if user_id != rep]
    if staff:
        notices.append(
            {
                "kind": NOTIFICATION_KIND,
                "key": key,
                "users": staff,
                "context": context,
                "link": reverse("admin:orders_order_change", args=[order.pk]),
            }
        )
    if rep:
        notices.append(
            {
                "kind": NOTIFICATION_KIND,
                "key": key,
                "users": [rep],
                "context": context,
                "link": reverse("portal:order-detail", kwargs={"number": order.number}),
            }
        )
    return notices
