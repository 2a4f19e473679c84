"""The shipment lifecycle: the status enum, the one table of allowed moves, the permission each move
needs and the timeline kinds, declared as `LIFECYCLE` for the engine (core.lifecycle)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.lifecycle import Lifecycle


class ShipmentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PACKED = "packed", _("Packed")
    IN_TRANSIT = "in_transit", _("In transit")
    DELIVERED = "delivered", _("Delivered")
    EXCEPTION = "exception", _("Exception")
    RETURNED = "returned", _("Returned")
    CANCELLED = "cancelled", _("Cancelled")


class ShipmentEventKind(models.TextChoices):
    """What a shipment's timeline entry records; a status change's kind is also its domain event's name."""

    CREATED = "shipment.created", pgettext_lazy("timeline", "Created")
    PACKED = "shipment.packed", _("Packed")
    DISPATCHED = "shipment.dispatched", _("Dispatched")
    IN_TRANSIT = "shipment.in_transit", _("Back in transit")
    DELIVERED = "shipment.delivered", _("Delivered")
    EXCEPTION = "shipment.exception", _("Delivery exception")
    RETURNED = "shipment.returned", _("Returned")
    CANCELLED = "shipment.cancelled", _("Cancelled")
    # Announced (domain event) for each carrier scan; the scans themselves are TrackingEvent rows,
    # not timeline entries.
    TRACKING_UPDATED = "shipment.tracking_updated", _("Tracking updated")


H = ShipmentStatus
ALLOWED = {
    H.PENDING: {H.PACKED, H.CANCELLED},
    H.PACKED: {H.IN_TRANSIT, H.CANCELLED},
    H.IN_TRANSIT: {H.DELIVERED, H.EXCEPTION},
    H.EXCEPTION: {H.IN_TRANSIT, H.DELIVERED, H.RETURNED},
    H.DELIVERED: {H.RETURNED},
    H.RETURNED: set(),
    H.CANCELLED: set(),
}
# Statuses in which the shipment has not left the warehouse (no carrier scans yet).
NOT_DISPATCHED = (H.PENDING, H.PACKED, H.CANCELLED)
# Every move is logistics staff's (or the carrier's, through the system).
TRANSITION_PERMISSION = dict.fromkeys(H.values, "logistics.change_shipment")


def _kind(from_status: str, to: str) -> str:
    # Leaving the warehouse is a dispatch; going back in transit after an exception is not a second one.
    if to == H.IN_TRANSIT:
        return ShipmentEventKind.DISPATCHED if from_status == H.PACKED else ShipmentEventKind.IN_TRANSIT
    return f"shipment.{to}"


def _payload(shipment) -> dict:
    return {
        "shipment_id": shipment.pk,
        "number": shipment.number,
        "order_id": shipment.order_id,
        "customer_id": shipment.order.customer_id,
        "status": shipment.status,
    }


LIFECYCLE = Lifecycle(
    document="shipment",
    model="logistics.Shipment",
    timeline="logistics.ShipmentEvent",
    statuses=ShipmentStatus,
    allowed=ALLOWED,
    permissions=TRANSITION_PERMISSION,
    kinds=ShipmentEventKind,
    # Stamped the first time a status is reached: resuming transit after an exception keeps the
    # original dispatch time.
    stamps={
        H.PACKED: "packed_at",
        H.IN_TRANSIT: "shipped_at",
        H.DELIVERED: "delivered_at",
        H.CANCELLED: "cancelled_at",
    },
    payload=_payload,
    kind=_kind,
)
