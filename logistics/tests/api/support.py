import datetime as dt

from django.utils import timezone

from logistics.models import Carrier, Shipment, ShipmentLine, TrackingEvent
from logistics.states import ShipmentStatus


def make_shipment(order, *, number: str | None = None, tracking_events: int = 1) -> Shipment:
    """An in-transit shipment of every line of `order` with `tracking_events` scans, newest "Hub 0"."""
    carrier, _created = Carrier.objects.get_or_create(
        code="SF", defaults={"name": "SF Express", "tracking_url_template": "https://sf.example/t/{number}"}
    )
    shipment = Shipment.objects.create(
        number=number or f"SH-{order.number}",
        order=order,
        carrier=carrier,
        status=ShipmentStatus.IN_TRANSIT,
        tracking_number=f"SF{order.pk:08d}",
        shipped_at=timezone.now(),
    )
    ShipmentLine.objects.bulk_create(
        [
            ShipmentLine(shipment=shipment, order_line=line, quantity=line.quantity)
            for line in order.lines.all()
        ]
    )
    TrackingEvent.objects.bulk_create(
        [
            TrackingEvent(
                shipment=shipment,
                status="in_transit",
                location=f"Hub {i}",
                description="Scanned",
                occurred_at=timezone.now() - dt.timedelta(hours=i),
            )
            for i in range(tracking_events)
        ]
    )
    return shipment
