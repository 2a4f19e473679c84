from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from logistics.models import Carrier, Shipment, ShipmentLine, TrackingEvent
from logistics.states import ShipmentStatus
from restapi.serializers import ChoiceLabelField, absolute_url


class CarrierSerializer(serializers.ModelSerializer):
    class Meta:
        model = Carrier
        fields = ["code", "name"]
        read_only_fields = fields


class ShipmentLineSerializer(serializers.ModelSerializer):
    position = serializers.IntegerField(
        source="order_line.position", read_only=True, help_text=_("The order line's position.")
    )
    sku = serializers.CharField(source="order_line.sku", read_only=True)
    description = serializers.CharField(source="order_line.description", read_only=True)

    class Meta:
        model = ShipmentLine
        fields = ["position", "sku", "description", "quantity"]
        read_only_fields = fields


class TrackingEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrackingEvent
        fields = ["occurred_at", "status", "location", "description"]
        read_only_fields = fields


class ShipmentSerializer(serializers.ModelSerializer):
    """A shipment with its lines and carrier tracking events (newest first); both must be prefetched."""

    status_display = ChoiceLabelField(ShipmentStatus, source="status")
    order = serializers.CharField(source="order.number", read_only=True)
    carrier = CarrierSerializer(read_only=True, allow_null=True)
    tracking_url = serializers.SerializerMethodField(help_text=_("The carrier's tracking page, when known."))
    lines = ShipmentLineSerializer(many=True, read_only=True, source="lines.all")
    tracking_events = TrackingEventSerializer(many=True, read_only=True, source="tracking_events.all")
    url = serializers.SerializerMethodField()
    order_url = serializers.SerializerMethodField()

    class Meta:
        model = Shipment
        fields = [
            "number",
            "order",
            "status",
            "status_display",
            "carrier",
            "tracking_number",
            "tracking_url",
            "packed_at",
            "shipped_at",
            "estimated_delivery_date",
            "delivered_at",
            "cancelled_at",
            "created_at",
            "lines",
            "tracking_events",
            "url",
            "order_url",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_tracking_url(self, shipment):
        template = shipment.carrier.tracking_url_template if shipment.carrier else ""
        if not template or not shipment.tracking_number:
            return None
        return template.replace("{number}", shipment.tracking_number)

    def _absolute(self, name: str, number: str) -> str:
        return absolute_url(self.context.get("request"), name, number=number)

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, shipment):
        return self._absolute("shipment-detail", shipment.number)

    @extend_schema_field(OpenApiTypes.URI)
    def get_order_url(self, shipment):
        return self._absolute("order-detail", shipment.order.number)
