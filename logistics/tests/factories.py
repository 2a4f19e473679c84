import datetime as dt

import factory
from django.utils import timezone

from logistics.models import Carrier, Shipment, ShipmentLine, TrackingEvent
from logistics.states import ShipmentStatus
from orders.tests.factories import make_order


class CarrierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Carrier

    code = factory.Sequence(lambda n: f"CR{n:02d}")
    name = factory.Sequence(lambda n: f"Carrier {n}")
    tracking_url_template = "https://track.example.com/{number}"


class ShipmentFactory(factory.django.DjangoModelFactory):
    """A pending shipment row without lines; shipment_create is the way to a real one."""

    class Meta:
        model = Shipment

    number = factory.Sequence(lambda n: f"SHP-2026-{n:06d}")
    order = factory.LazyFunction(make_order)
    carrier = factory.SubFactory(CarrierFactory)


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
