"""Stock alerts: thresholds crossed, raised once per crossing, mailed to the people who restock.

Part of inventory's services (re-exported by `inventory.services`): every write here is keyword-only
and atomic. A row's thresholds are its own (`StockLevel.reorder_point` for low stock,
`StockLevel.over_stock_threshold`) or else its product category's defaults
(`Category.default_low_stock`, `Category.default_over_stock`); empty on both means no alert of
that kind.

- **Low stock**: available (on hand − reserved) ≤ the low threshold.
- **Over stock**: on hand > the over threshold.

Only active products that are kept in stock (not made to order) in active warehouses are watched.
"""

import logging
import math
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_CEILING, Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import Exists, F, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import events
from core.errors import NotFound, ValidationFailed
from core.services import event_handle_once
from inventory.models import (
    MovementKind,
    StockAlert,
    StockAlertKind,
    StockAlertStatus,
    StockLevel,
    StockMovement,
)
from inventory.selectors import stock_levels_watched

logger = logging.getLogger(__name__)

STOCK_ALERT_RAISED = "stock.alert_raised"
# Who is mailed: active users holding this permission through a group (crm.roles: order managers,
# production schedulers) or directly. Superusers are not mailed for holding every permission.
RECIPIENT_PERMISSION = "inventory.view_stockalert"
NOTE_MAX_LENGTH = 500
_INSERT_CHUNK = 500


@dataclass(frozen=True)
class EvaluateResult:
    """What one evaluation did: ids of the alerts it raised, how many it resolved."""

    raised: list[int]
    resolved: int


# --- thresholds and demand ----------------------------------------------------------------------


def _crossing(kind: str) -> QuerySet[StockLevel]:
    levels = stock_levels_watched()
    if kind == StockAlertKind.LOW:
        return levels.filter(low_at__isnull=False, available_now__lte=F("low_at"))
    return levels.filter(over_at__isnull=False, on_hand__gt=F("over_at"))


def _movement_sum(*, kinds: list[str], column, since) -> Coalesce:
    """Sum of `column` over the row's movements of `kinds` since `since`, for OuterRef'd stock rows."""
    total = (
        StockMovement.objects.filter(
            product_id=OuterRef("product_id"),
            warehouse_id=OuterRef("warehouse_id"),
            kind__in=kinds,
            created_at__gte=since,
        )
        .order_by()
        .values("product_id")
        .annotate(total=Sum(column))
        .values("total")
    )
    return Coalesce(Subquery(total[:1], output_field=IntegerField()), Value(0))


def _with_demand(levels: QuerySet[StockLevel], *, since) -> QuerySet[StockLevel]:
    """Annotate `shipped` (shipped, or consumed by production) and `committed` (reservations less
    releases) since `since`."""
    return levels.annotate(
        shipped=_movement_sum(
            kinds=[MovementKind.SHIPMENT, MovementKind.CONSUMPTION], column=-F("on_hand_delta"), since=since
        ),
        committed=_movement_sum(
            kinds=[MovementKind.RESERVATION, MovementKind.RELEASE], column=F("reserved_delta"), since=since
        ),
    )


def reorder_quantity_suggest(
    *,
    demand: int,
    demand_days: int,
    lead_time_days: int,
    low_threshold: int,
    available: int,
    pack_size: int = 1,
) -> int:
    """How much to reorder so that stock lasts through the lead time and ends at the low threshold.

        daily    = demand / demand_days
        need     = daily × lead_time_days + low_threshold − available
        quantity = ⌈need / pack_size⌉ × pack_size, or 0 when need ≤ 0

    `demand` is what left or was promised over the last `demand_days` days (see
    `stock_alerts_evaluate`). Example: 60 reserved over 30 days is 2 a day; with a 14-day lead time,
    a threshold of 10 and 4 available the need is 2 × 14 + 10 − 4 = 34, which in packs of 6 is 36.
    Never negative; fractions of a unit round up.
    """
    daily = Decimal(max(demand, 0)) / Decimal(max(demand_days, 1))
    need = daily * max(lead_time_days, 0) + low_threshold - available
    if need <= 0:
        return 0
    units = int(need.to_integral_value(rounding=ROUND_CEILING))
    pack = max(pack_size, 1)
    return math.ceil(units / pack) * pack


# --- evaluation ---------------------------------------------------------------------------------


def _insert_alerts(rows: list[tuple]) -> list[tuple[int, int, int, str]]:
    """INSERT the alerts, skipping any that would be a second open alert for its row and kind.

    `rows`: (product_id, warehouse_id, kind, on_hand, available, threshold, suggested). Returns
    (id, product_id, warehouse_id, kind) of the rows this call inserted. ON CONFLICT DO NOTHING with
    RETURNING (PostgreSQL, SQLite ≥ 3.35) tells exactly which rows were ours: an evaluation running
    at the same time in another worker that inserted the same alert first makes ours a no-op (on
    PostgreSQL it waits for the other's commit, then skips), so only one of them emits the event.
    """
    if not rows:
        return []
    table = connection.ops.quote_name(StockAlert._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    columns = (
        "product_id, warehouse_id, kind, on_hand, available, threshold, suggested_quantity, "
        "status, raised_at, resolution_note"
    )
    inserted = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _INSERT_CHUNK):
            chunk = rows[start : start + _INSERT_CHUNK]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
            params = [value for row in chunk for value in (*row, StockAlertStatus.OPEN.value, now, "")]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {values} "  # noqa: S608 (names are ours)
                "ON CONFLICT DO NOTHING RETURNING id, product_id, warehouse_id, kind",
                params,
            )
            inserted.extend(cursor.fetchall())
    return inserted


def _resolve_recovered(kind: str, *, now) -> int:
    """Resolve the open alerts of `kind` whose row is back on the right side (or no longer watched, or
    without a threshold now) and mark them, and those resolved by hand before, recovered.

    The alerts are locked in primary-key order first, so two evaluations at once queue on them rather
    than deadlock; a row the other one recovered meanwhile no longer matches and is left alone.
    Returns how many open alerts it resolved.
    """
    still_crossed = _crossing(kind).filter(
        product_id=OuterRef("product_id"), warehouse_id=OuterRef("warehouse_id")
    )
    ids = list(
        StockAlert.objects.select_for_update(of=("self",))
        .filter(kind=kind, recovered_at__isnull=True)
        .exclude(Exists(still_crossed))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not ids:
        return 0
    recovered = StockAlert.objects.filter(pk__in=ids)
    opened = recovered.filter(status=StockAlertStatus.OPEN).count()
    recovered.update(
        status=StockAlertStatus.RESOLVED,
        resolved_at=Coalesce(F("resolved_at"), Value(now)),
        recovered_at=now,
    )
    return opened


def _new_crossings(kind: str, *, since, demand_days: int, lead_time_days: int) -> list[tuple]:
    """The crossed rows of `kind` without an alert for the crossing yet, as alert rows to insert.

    A crossing already has its alert while that alert is not marked recovered: open, or resolved by
    hand with the level still on the wrong side.
    """
    alerted = StockAlert.objects.filter(
        product_id=OuterRef("product_id"),
        warehouse_id=OuterRef("warehouse_id"),
        kind=kind,
        recovered_at__isnull=True,
    )
    levels = _crossing(kind).exclude(Exists(alerted))
    if kind == StockAlertKind.OVER:
        return [
            (product_id, warehouse_id, kind, on_hand, available, over_at, 0)
            for product_id, warehouse_id, on_hand, available, over_at in levels.order_by(
                "product_id", "warehouse_id"
            ).values_list("product_id", "warehouse_id", "on_hand", "available_now", "over_at")
        ]
    rows = []
    for (
        product_id,
        warehouse_id,
        on_hand,
        available,
        low_at,
        pack_size,
        product_lead,
        shipped,
        committed,
    ) in (
        _with_demand(levels, since=since)
        .order_by("product_id", "warehouse_id")
        .values_list(
            "product_id",
            "warehouse_id",
            "on_hand",
            "available_now",
            "low_at",
            "product__pack_size",
            "product__lead_time_days",
            "shipped",
            "committed",
        )
    ):
        suggested = reorder_quantity_suggest(
            demand=max(shipped, committed),
            demand_days=demand_days,
            lead_time_days=product_lead or lead_time_days,
            low_threshold=low_at,
            available=available,
            pack_size=pack_size,
        )
        rows.append((product_id, warehouse_id, kind, on_hand, available, low_at, suggested))
    return rows


def stock_alerts_evaluate() -> EvaluateResult:
    """Compare every watched stock row with its thresholds: raise an alert per new crossing, resolve
    the alerts whose level is back.

    A crossing raises exactly one alert: none while an alert of that kind for the row is open (or
    was resolved by hand and the level has not recovered since); a later crossing raises a new one.
    Safe to run twice or in two workers at once: the partial unique constraint (one open alert per
    product × warehouse × kind) turns a second insert into a no-op, and only the inserting run emits.

    Set-based: per kind one query finds (and locks) the alerts to resolve and one UPDATE resolves
    them, one query finds the new crossings with their demand and one INSERT (per 500 rows) raises
    them, whatever the number of rows; then one outbox row per raised alert.

    Suggested reorder quantity of a low-stock alert (`reorder_quantity_suggest`): demand is the
    larger of what was shipped (or consumed by production) and what was committed (reservations
    less releases) from the row over the last STOCK_ALERT_DEMAND_DAYS days — a shipment consumes
    an earlier reservation, so the two are not added; lead time is the product's, else
    STOCK_ALERT_LEAD_TIME_DAYS.

    Side effects: a `stock.alert_raised` event per raised alert (its listener queues the mail).
    """
    now = timezone.now()
    demand_days = settings.STOCK_ALERT_DEMAND_DAYS
    since = now - timedelta(days=demand_days)
    raised, resolved = [], 0
    with transaction.atomic():
        for kind in StockAlertKind.values:
            resolved += _resolve_recovered(kind, now=now)
            rows = _new_crossings(
                kind,
                since=since,
                demand_days=demand_days,
                lead_time_days=settings.STOCK_ALERT_LEAD_TIME_DAYS,
            )
            for alert_id, product_id, warehouse_id, alert_kind in _insert_alerts(rows):
                raised.append(alert_id)
                events.emit(
                    STOCK_ALERT_RAISED,
                    stock_alert_id=alert_id,
                    product_id=product_id,
                    warehouse_id=warehouse_id,
                    kind=alert_kind,
                )
    if raised or resolved:
        logger.info("stock alerts: %d raised, %d resolved", len(raised), resolved)
    return EvaluateResult(raised=raised, resolved=resolved)


# --- by hand ------------------------------------------------------------------------------------


def stock_alert_resolve(*, alert_id: int, actor=None, note: str = "") -> tuple[StockAlert, bool]:
    """Resolve an open alert by hand (the reorder is placed, the surplus is being moved), with a note.

    Resolving an alert that is already resolved changes nothing and returns (alert, False). While the
    level stays on the wrong side no new alert is raised for it: the next one comes with the next
    crossing. Raises NotFound for an unknown alert, ValidationFailed for a note over 500 characters.
    """
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationFailed(
            fields={"note": [_("Enter at most %(max)d characters.") % {"max": NOTE_MAX_LENGTH}]}
        )
    with transaction.atomic():
        alert = StockAlert.objects.select_for_update(of=("self",)).filter(pk=alert_id).first()
        if alert is None:
            raise NotFound(_("Stock alert not found."))
        if alert.status == StockAlertStatus.RESOLVED:
            return alert, False
        alert.status = StockAlertStatus.RESOLVED
        alert.resolved_at = timezone.now()
        alert.resolved_by = actor if getattr(actor, "pk", None) else None
        alert.resolution_note = note
        alert.save(update_fields=["status", "resolved_at", "resolved_by", "resolution_note"])
        return alert, True


# --- notification -------------------------------------------------------------------------------


def stock_alert_recipients() -> list:
    """Active users with an address who hold RECIPIENT_PERMISSION (by group or directly), by id."""
    users = get_user_model()._default_manager.with_perm(
        RECIPIENT_PERMISSION,
        is_active=True,
        include_superusers=False,
        backend="django.contrib.auth.backends.ModelBackend",
    )
    return [user for user in users.exclude(email="").order_by("pk") if user.email]


def _message(alert: StockAlert, address: str, language: str) -> EmailMessage:
    with translation.override(language):
        values = {
            "sku": alert.product.sku,
            "product": alert.product.name,
            "warehouse": f"{alert.warehouse.code} {alert.warehouse.name}",
            "on_hand": alert.on_hand,
            "available": alert.available,
            "threshold": alert.threshold,
            "suggested": alert.suggested_quantity,
            "unit": alert.product.unit,
        }
        if alert.kind == StockAlertKind.LOW:
            subject = _("Low stock: %(sku)s in %(warehouse)s") % values
            body = (
                _(
                    "%(sku)s %(product)s is low in %(warehouse)s.\n\n"
                    "Available: %(available)s %(unit)s (on hand %(on_hand)s), "
                    "low-stock threshold %(threshold)s.\n"
                    "Suggested reorder: %(suggested)s %(unit)s, "
                    "from the recent demand and the lead time.\n\n"
                    "The alert is listed in the admin under Inventory → Stock alerts; "
                    "it resolves itself once the stock is back above the threshold.\n"
                )
                % values
            )
        else:
            subject = _("Over stock: %(sku)s in %(warehouse)s") % values
            body = (
                _(
                    "%(sku)s %(product)s is over stock in %(warehouse)s.\n\n"
                    "On hand: %(on_hand)s %(unit)s, over-stock threshold %(threshold)s.\n\n"
                    "The alert is listed in the admin under Inventory → Stock alerts; "
                    "it resolves itself once on hand is back at or below the threshold.\n"
                )
                % values
            )
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address])


def stock_alert_notify(*, alert_id: int, event_id: str | uuid.UUID | None = None) -> int:
    """Mail a newly raised alert to every recipient (`stock_alert_recipients`), one message each in
    the site's language (LANGUAGE_CODE: users have no language of their own), and stamp `notified_at`.

    Once per event id: a redelivered `stock.alert_raised` sends nothing. Sends nothing for an alert
    that is gone, already resolved or already notified. Returns the number of messages sent.
    A mail server error (OSError) propagates, leaving no receipt, so the task's retry sends again.
    """
    alert = StockAlert.objects.select_related("product", "warehouse").filter(pk=alert_id).first()
    if alert is None or alert.status != StockAlertStatus.OPEN or alert.notified_at is not None:
        return 0
    recipients = stock_alert_recipients()
    with event_handle_once(handler="inventory.stock_alert_notify", event_id=event_id) as first:
        if not first:
            return 0
        messages = [_message(alert, user.email, settings.LANGUAGE_CODE) for user in recipients]
        if messages:
            get_connection().send_messages(messages)
        else:
            logger.warning("stock alert %s raised; nobody holds %s", alert.pk, RECIPIENT_PERMISSION)
        StockAlert.objects.filter(pk=alert.pk).update(notified_at=timezone.now())
    return len(messages)
