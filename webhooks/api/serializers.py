from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEventType


@extend_schema_field({"type": "array", "items": {"type": "string", "enum": WebhookEventType.values},
                      "description": "Events to receive; an empty list means every event."})
class EventTypesField(serializers.ListField):
    """Names are checked by the service, so an unknown one is reported once, on `event_types`."""

    child = serializers.CharField(max_length=64)
    max_length = len(WebhookEventType.values)


class WebhookEndpointSerializer(serializers.ModelSerializer):
    customer = serializers.CharField(source="customer.code", read_only=True)
    event_types = EventTypesField(read_only=True)

    class Meta:
        model = WebhookEndpoint
        fields = ("id", "customer", "url", "event_types", "is_active", "consecutive_failures", "disabled_at",
                  "disabled_reason", "created_at", "updated_at")
        read_only_fields = fields


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    """Only the create and rotate-secret responses carry the secret."""

    class Meta(WebhookEndpointSerializer.Meta):
        fields = (*WebhookEndpointSerializer.Meta.fields, "secret")
        read_only_fields = fields


class WebhookEndpointCreateSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=500, help_text="https:// URL that receives the POSTs.")
    event_types = EventTypesField(required=False, default=list)
    customer = serializers.CharField(required=False, max_length=32,
                                     help_text="Customer code; needed only when you act for several customers.")


class WebhookEndpointUpdateSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=500, required=False)
    event_types = EventTypesField(required=False)
    is_active = serializers.BooleanField(required=False,
                                         help_text="true turns a disabled endpoint on again and clears its failures.")


class WebhookDeliverySerializer(serializers.ModelSerializer):
    endpoint = serializers.IntegerField(source="endpoint_id", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = ("id", "endpoint", "event_id", "event_type", "status", "attempts", "last_response_code",
                  "last_error", "next_attempt_at", "delivered_at", "created_at", "payload")
        read_only_fields = fields
