"""Shop-floor terminals: their tokens, and the progress reports they send (production.api).

A device belongs to one plant and reports only that plant's work orders. Its token is made once,
shown once and stored as a sha256 digest with a short prefix to recognise it by. A report carries
the device's own event id; the (device, event id) unique constraint makes a repeated report (a
terminal retrying after a lost answer, or sending twice at once) answer what the first one did,
without recording anything again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from production.models import Plant, ShopFloorDevice, ShopFloorEvent, WorkOrder
from production.services.progress import stage_record

TOKEN_PREFIX = "sfd_"
# Enough to recognise a token in a list without making it guessable: "sfd_" and 8 random characters.
SHOWN_PREFIX_LENGTH = 12
MAX_TOKEN_LENGTH = 200
# last_seen_at is written at most once per this interval (one UPDATE, skipped otherwise).
LAST_SEEN_INTERVAL = dt.timedelta(minutes=1)
ACTIONS = ("start", "finish")
SOURCE = "shop_floor"


class WorkOrderOtherPlant(PermissionDenied):
    code = "work_order_other_plant"
    default_message = _("This work order is built at another plant; this terminal reports its own plant's.")


class EventIdReused(DomainError):
    code = "event_id_reused"
    status = 422
    default_message = _("This event id was already used for a different report. Use a new event id.")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def device_create(*, plant_id: int, name: str, actor=None) -> tuple[ShopFloorDevice, str]:
    """Make a terminal for plant `plant_id`; returns (device, token). The token is not stored (only
    its digest): show it once, it cannot be read again. Raises NotFound (plant), ValidationFailed."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(fields={"name": [_("Give the terminal a name, e.g. its place on the line.")]})
    with transaction.atomic():
        plant = Plant.objects.filter(pk=plant_id).first()
        if plant is None:
            raise NotFound(_("No such plant."))
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        device = ShopFloorDevice.objects.create(
            plant=plant,
            name=name[:80],
            token_prefix=token[:SHOWN_PREFIX_LENGTH],
            token_hash=token_digest(token),
            created_by=actor if getattr(actor, "pk", None) else None,
        )
    return device, token


def device_revoke(*, device_id: int, actor=None) -> ShopFloorDevice:
    """Switch a terminal off: its token stops working at once. Revoking a revoked device changes
    nothing. Raises NotFound."""
    with transaction.atomic():
        device = ShopFloorDevice.objects.select_for_update().filter(pk=device_id).first()
        if device is None:
            raise NotFound(_("No such device."))
        if device.is_active:
            device.is_active = False
            device.save(update_fields=["is_active"])
    return device


def device_authenticate(*, token: str) -> ShopFloorDevice | None:
    """The active device of an active plant whose token this is (plant attached), else None.

    Marks the device seen (at most once a minute: one UPDATE, skipped otherwise).
    """
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_LENGTH:
        return None
    device = (
        ShopFloorDevice.objects.select_related("plant")
        .filter(token_hash=token_digest(token), is_active=True, plant__is_active=True)
        .first()
    )
    if device is None:
        return None
    now = timezone.now()
    if device.last_seen_at is None or now - device.last_seen_at >= LAST_SEEN_INTERVAL:
        ShopFloorDevice.objects.filter(pk=device.pk).update(last_seen_at=now)
        device.last_seen_at = now
    return device


def shop_floor_event_record(
    *,
    device: ShopFloorDevice,
    event_id: str,
    work_order_number: str,
    stage_code: str,
    action: str,
    occurred_at: dt.datetime,
    serials: list[str] | None = None,
) -> tuple[dict, bool]:
    """Record a terminal's report that a stage of one of its plant's work orders started or finished.

    Returns (response, replayed): the answer of the report's first recording, and whether this call
    was a repeat of it. A repeat records nothing — neither does one arriving at the same moment as the
    first (the unique constraint makes it wait for the first and then read its answer). A refused
    report (out of order, short materials…) records nothing either, so the terminal may send it again
    with the same event id once the cause is fixed.
    Raises NotFound (no such work order), WorkOrderOtherPlant (403: another plant's), EventIdReused
    (422: the event id was used for a different report), ValidationFailed (action) and the progress
    services' errors.
    """
    if action not in ACTIONS:
        raise ValidationFailed(fields={"action": [_("Choose start or finish.")]})
    stored = ShopFloorEvent.objects.filter(device_id=device.pk, event_id=event_id).first()
    if stored is not None:
        return _replay(stored, work_order_number, stage_code, action), True
    with transaction.atomic():
        work_order_id = _work_order_of_plant(device, work_order_number)
        try:
            with transaction.atomic():
                event = ShopFloorEvent.objects.create(
                    device=device,
                    event_id=event_id,
                    work_order_id=work_order_id,
                    action=action,
                    stage_code=stage_code,
                    occurred_at=occurred_at,
                )
        except IntegrityError:
            # The same report is being recorded by a concurrent request: its insert held the key until
            # it committed; read what it answered.
            stored = ShopFloorEvent.objects.get(device_id=device.pk, event_id=event_id)
            return _replay(stored, work_order_number, stage_code, action), True
        work_order = stage_record(
            work_order_id=work_order_id,
            stage_code=stage_code,
            action=action,
            at=occurred_at,
            source=SOURCE,
            serials=serials,
        )
        event.response = _response(event, work_order)
        event.save(update_fields=["response"])
        return event.response, False


def _work_order_of_plant(device: ShopFloorDevice, number: str) -> int:
    row = WorkOrder.objects.filter(number=number).values("pk", "plant_id").first()
    if row is None:
        raise NotFound(
            _("No work order %(number)s.") % {"number": number},
            code="work_order_not_found",
            extra={"work_order": number},
        )
    if row["plant_id"] != device.plant_id:
        raise WorkOrderOtherPlant(
            _("Work order %(number)s is built at another plant; this terminal reports for %(plant)s.")
            % {"number": number, "plant": device.plant.code},
            extra={"work_order": number},
        )
    return row["pk"]


def _replay(stored: ShopFloorEvent, number: str, stage_code: str, action: str) -> dict:
    response = stored.response or {}
    same = (
        response.get("work_order", number) == number
        and stored.stage_code == stage_code
        and stored.action == action
    )
    if not same:
        raise EventIdReused(extra={"event_id": stored.event_id})
    return response


def _response(event: ShopFloorEvent, work_order: WorkOrder) -> dict:
    return {
        "event_id": event.event_id,
        "work_order": work_order.number,
        "stage": event.stage_code,
        "action": event.action,
        "occurred_at": timezone.localtime(event.occurred_at).isoformat(),
        "received_at": timezone.localtime(event.received_at).isoformat(),
        "status": work_order.status,
        "current_stage": work_order.stage,
        "progress_percent": work_order.progress_percent,
        "eta": timezone.localtime(work_order.eta).isoformat() if work_order.eta else None,
    }
