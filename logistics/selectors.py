"""Reads for logistics. Visibility lives here: a dealer reaches shipments only through *_for_dealer."""

from django.db.models import Prefetch, QuerySet

from core.errors import NotFound
from crm.selectors import customer_list_for_user
from logistics.models import Shipment, ShipmentLine, TrackingEvent


def shipment_list_for_dealer(*, user) -> QuerySet[Shipment]:
    """Shipments of the orders of the customers `user` acts for, with lines and tracking events
    (newest first) prefetched: a page costs the same number of queries whatever it holds."""
    return (
        Shipment.objects.filter(order__customer__in=customer_list_for_user(user=user).values("pk"))
        .select_related("order", "carrier")
        .prefetch_related(
            Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line").order_by("pk")),
            Prefetch("tracking_events", queryset=TrackingEvent.objects.order_by("-occurred_at", "-id")),
        )
    )


def shipment_get_for_dealer(*, user, number: str) -> Shipment:
    """One of the dealer's shipments by number; NotFound for any other (another dealer's included)."""
    shipment = shipment_list_for_dealer(user=user).filter(number=number).first()
    if shipment is None:
        raise NotFound()
    return shipment
