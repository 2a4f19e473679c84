"""Webhook endpoint and delivery serializers. Request bodies are strict (restapi.serializers): unknown
keys are refused and JSON types are not coerced."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from restapi.serializers import StrictCharField, StrictSerializer
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEventType

URL_MAX_LENGTH = WebhookEndpoint._meta.get_field("url").max_length
CUSTOMER_CODE_MAX_LENGTH = 32


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "enum": WebhookEventType.values},
        "maxItems": len(WebhookEventType.values),
        "description": "Events to receive; an empty list means every event.",
    }
)
class EventTypesField(serializers.ListField):
    """Names are checked by the service, so an unknown one is reported once, on `event_types`."""

    child = StrictCharField(max_length=64)
    max_length = len(WebhookEventType.values)


class StrictBooleanField(serializers.BooleanField):
    """A boolean that must be a JSON boolean: `"yes"`, `1` and `"true"` are refused, not converted."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class WebhookEndpointSerializer(serializers.ModelSerializer):
    """A registered endpoint, without its signing secret."""

    customer = serializers.CharField(
        source="customer.code", read_only=True, help_text=_("Code of the customer the endpoint belongs to.")
    )
    event_types = EventTypesField(read_only=True)

    class Meta:
        model = WebhookEndpoint
        fields = (
            "id",
            "customer",
            "url",
            "event_types",
            "is_active",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    """Only the create and rotate-secret responses carry the secret."""

    class Meta(WebhookEndpointSerializer.Meta):
        fields = (*WebhookEndpointSerializer.Meta.fields, "secret")
        read_only_fields = fields
        extra_kwargs = {
            "secret": {
                "help_text": _(
                    "Key of the HMAC-SHA256 signature in the X-OMS-Signature header of every request."
                )
            }
        }


class WebhookEndpointCreateSerializer(StrictSerializer):
    """A new endpoint: where to POST, which events, and (for a dealer group) for which customer."""

    url = StrictCharField(
        max_length=URL_MAX_LENGTH,
        help_text=_(
            "https:// URL that receives the POSTs; its host must resolve only to public internet addresses."
        ),
    )
    event_types = EventTypesField(required=False, default=list)
    customer = StrictCharField(
        required=False,
        max_length=CUSTOMER_CODE_MAX_LENGTH,
        help_text=_(
            "Code of the customer the endpoint is for. Required when your account acts for several customers "
            "(a dealer group); otherwise it may be left out, and must be your customer's code if given."
        ),
    )


class WebhookEndpointUpdateSerializer(StrictSerializer):
    """The fields to change; the others keep their values."""

    url = StrictCharField(max_length=URL_MAX_LENGTH, required=False)
    event_types = EventTypesField(required=False)
    is_active = StrictBooleanField(
        required=False, help_text=_("true turns a disabled endpoint on again and clears its failures.")
    )


class WebhookDeliverySerializer(serializers.ModelSerializer):
    """One event sent (or being sent) to one endpoint, with the outcome of its latest attempt."""

    endpoint = serializers.IntegerField(
        source="endpoint_id", read_only=True, help_text=_("The endpoint's id.")
    )

    class Meta:
        model = WebhookDelivery
        fields = (
            "id",
            "endpoint",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "last_response_code",
            "last_error",
            "next_attempt_at",
            "delivered_at",
            "created_at",
            "payload",
        )
        read_only_fields = fields
