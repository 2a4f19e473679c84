"""Dealer API for webhook endpoints and their delivery log.

Thin: parse, call one service or selector, render.
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import status
from rest_framework.response import Response

from core.errors import NotFound
from restapi.base import DealerApi, DealerListApi
from restapi.schema import ERRORS, READ, WRITE, error_example, error_responses
from restapi.serializers import ErrorSerializer
from webhooks import selectors, services
from webhooks.api.serializers import (
    WebhookDeliverySerializer,
    WebhookEndpointCreateSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointUpdateSerializer,
    WebhookEndpointWithSecretSerializer,
)
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEventType

TAGS = ["webhooks"]
# Ids are bigint primary keys: anything outside 1 … 2**63 - 1 cannot name a row.
MAX_ID = 2**63 - 1
ID_SCHEMA = {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID}

ENDPOINT_EXAMPLE = {
    "id": 7,
    "customer": "D-SZ-001",
    "url": "https://erp.dealer.example/oms/webhooks",
    "event_types": ["order.approved", "order.shipped", "invoice.issued"],
    "is_active": True,
    "consecutive_failures": 0,
    "disabled_at": None,
    "disabled_reason": "",
    "created_at": "2026-03-02T08:15:00Z",
    "updated_at": "2026-03-02T08:15:00Z",
}
SECRET_EXAMPLE = {**ENDPOINT_EXAMPLE, "secret": "whsec_3q2-7wE0xk8fQm3bS1y4Jb2Yt8Zr5nV0aP9cL6dH1uI"}


_error = error_example


INVALID_RESPONSE = OpenApiResponse(
    ErrorSerializer,
    description=(
        "Invalid input: bad JSON, wrong types, unknown fields, a URL that cannot receive webhooks, "
        "an unknown "
        "event type, or (on create) a missing or foreign `customer` code. Nothing was written."
    ),
    examples=[
        OpenApiExample(
            "Field errors",
            value=_error(
                "invalid",
                "Some fields are not valid.",
                {"url": ["Use https://."], "event_types": ["Unknown event type: order.teleported."]},
            ),
        ),
        OpenApiExample(
            "Private address",
            value=_error(
                "invalid",
                "Some fields are not valid.",
                {"url": ["This address cannot receive webhooks: it is not a public internet address."]},
            ),
        ),
        OpenApiExample(
            "Unknown field",
            value=_error("invalid", "Some fields are not valid.", {"secret": ["Unknown field."]}),
        ),
        OpenApiExample(
            "Malformed JSON",
            value=_error("parse_error", "JSON parse error - Expecting value: line 1 column 1 (char 0)"),
        ),
    ],
)
CREATE_INVALID_RESPONSE = OpenApiResponse(
    ErrorSerializer,
    description=INVALID_RESPONSE.description,
    examples=[
        *INVALID_RESPONSE.examples,
        OpenApiExample(
            "Dealer group without customer",
            value=_error(
                "invalid",
                "Some fields are not valid.",
                {"customer": ["You act for several customers: give the customer code."]},
            ),
        ),
    ],
)
NOT_FOUND_RESPONSE = OpenApiResponse(
    ErrorSerializer,
    description=(
        "No endpoint with this id among your customers' endpoints (another dealer's endpoint, a deleted one, "
        "or an id that is not a positive integer)."
    ),
    examples=ERRORS[404][1],
)
BAD_PAGE_RESPONSE = OpenApiResponse(
    ErrorSerializer,
    description=(
        "A query parameter is not valid: a malformed or foreign `cursor`, or a filter value that is not one "
        "of the documented ones."
    ),
    examples=[
        OpenApiExample(
            "Bad cursor",
            value=_error("invalid", "Some fields are not valid.", {"cursor": ["Invalid cursor."]}),
        ),
    ],
)
ENDPOINT_ID_PARAMETER = OpenApiParameter(
    name="endpoint_id",
    type=ID_SCHEMA,
    location=OpenApiParameter.PATH,
    description="The endpoint's `id`. Anything that is not the id of one of your endpoints answers 404.",
    examples=[OpenApiExample("Endpoint", value=7)],
)


def _endpoint_id(raw: str) -> int:
    """The id in the URL; one that cannot exist is answered like one that is not yours, without a query."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(MAX_ID)):
        raise NotFound()
    value = int(raw)
    if not 1 <= value <= MAX_ID:
        raise NotFound()
    return value


class WebhookEndpointListApi(DealerListApi):
    serializer_class = WebhookEndpointSerializer
    filter_backends: list = []
    model = WebhookEndpoint

    def dealer_queryset(self):
        return selectors.webhook_endpoint_list_for_user(user=self.request.user)

    @extend_schema(
        tags=TAGS,
        summary="List your webhook endpoints",
        description="Endpoints of every customer your account acts for, newest first. The signing secret is "
        "not shown here. Cursor-paginated: follow `next`; `page_size` up to 200.",
        responses={
            200: WebhookEndpointSerializer(many=True),
            **error_responses(*READ),
            400: BAD_PAGE_RESPONSE,
        },
        examples=[
            OpenApiExample(
                "Endpoints",
                response_only=True,
                value={"next": None, "previous": None, "results": [ENDPOINT_EXAMPLE]},
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(
        tags=TAGS,
        summary="Register a webhook endpoint",
        description="Registers a URL to receive the events in `event_types` (all events when empty or left "
        "out) as signed POSTs. If your account acts for several customers (a dealer group), "
        "`customer` must name the one the endpoint is for; otherwise it is refused with 400 on "
        "`customer`. The response carries the signing `secret`; it is shown again only after a "
        "rotation.",
        request=WebhookEndpointCreateSerializer,
        responses={
            201: WebhookEndpointWithSecretSerializer,
            **error_responses(*WRITE),
            400: CREATE_INVALID_RESPONSE,
        },
        examples=[
            OpenApiExample(
                "Register",
                request_only=True,
                value={
                    "url": "https://erp.dealer.example/oms/webhooks",
                    "event_types": ["order.approved", "order.shipped", "invoice.issued"],
                },
            ),
            OpenApiExample(
                "Dealer group, every event",
                request_only=True,
                value={"customer": "D-SZ-001", "url": "https://erp.dealer.example/oms/webhooks"},
            ),
            OpenApiExample("Registered", response_only=True, status_codes=["201"], value=SECRET_EXAMPLE),
        ],
    )
    def post(self, request):
        serializer = WebhookEndpointCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        customer = selectors.webhook_customer_for_user(user=request.user, code=data.get("customer"))
        endpoint = services.webhook_endpoint_create(
            customer=customer, url=data["url"], event_types=data["event_types"], actor=request.user
        )
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class WebhookEndpointDetailApi(DealerApi):
    @extend_schema(
        tags=TAGS,
        summary="Get one of your webhook endpoints",
        parameters=[ENDPOINT_ID_PARAMETER],
        responses={200: WebhookEndpointSerializer, **error_responses(401, 403, 429), 404: NOT_FOUND_RESPONSE},
        examples=[OpenApiExample("Endpoint", response_only=True, value=ENDPOINT_EXAMPLE)],
    )
    def get(self, request, endpoint_id: str):
        endpoint = selectors.webhook_endpoint_get_for_user(
            user=request.user, endpoint_id=_endpoint_id(endpoint_id)
        )
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(
        tags=TAGS,
        summary="Change a webhook endpoint",
        description="Give only what changes; `event_types` replaces the subscription (empty: every event). "
        "`is_active: true` turns a disabled endpoint on again and clears its failure count; "
        "`is_active: false` pauses it.",
        request=WebhookEndpointUpdateSerializer,
        parameters=[ENDPOINT_ID_PARAMETER],
        responses={
            200: WebhookEndpointSerializer,
            **error_responses(*WRITE),
            400: INVALID_RESPONSE,
            404: NOT_FOUND_RESPONSE,
        },
        examples=[
            OpenApiExample("Re-enable", request_only=True, value={"is_active": True}),
            OpenApiExample(
                "Subscribe",
                request_only=True,
                value={"event_types": ["order.shipped", "shipment.tracking_updated"]},
            ),
            OpenApiExample("Endpoint", response_only=True, status_codes=["200"], value=ENDPOINT_EXAMPLE),
        ],
    )
    def patch(self, request, endpoint_id: str):
        endpoint_id = _endpoint_id(endpoint_id)
        serializer = WebhookEndpointUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_update(
            endpoint_id=endpoint_id,
            customer_ids=[customer.pk for customer in self.dealer_customers()],
            **serializer.validated_data,
        )
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(
        tags=TAGS,
        summary="Delete a webhook endpoint and its delivery log",
        description="Pending deliveries are dropped with it.",
        parameters=[ENDPOINT_ID_PARAMETER],
        responses={204: None, **error_responses(401, 403, 429), 404: NOT_FOUND_RESPONSE},
    )
    def delete(self, request, endpoint_id: str):
        services.webhook_endpoint_delete(
            endpoint_id=_endpoint_id(endpoint_id),
            customer_ids=[customer.pk for customer in self.dealer_customers()],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookEndpointRotateSecretApi(DealerApi):
    @extend_schema(
        tags=TAGS,
        summary="Rotate the signing secret",
        description="Takes no body. Every later request, retries included, is signed with the new secret.",
        request=None,
        parameters=[ENDPOINT_ID_PARAMETER],
        responses={
            200: WebhookEndpointWithSecretSerializer,
            **error_responses(401, 403, 429),
            404: NOT_FOUND_RESPONSE,
        },
        examples=[OpenApiExample("Rotated", response_only=True, value=SECRET_EXAMPLE)],
    )
    def post(self, request, endpoint_id: str):
        endpoint = services.webhook_endpoint_rotate_secret(
            endpoint_id=_endpoint_id(endpoint_id),
            customer_ids=[customer.pk for customer in self.dealer_customers()],
        )
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data)


@extend_schema_field(ID_SCHEMA)
class IdFilter(filters.Filter):
    """An id: a whole number in the bigint range (anything else is a 400, not a database error)."""

    field_class = forms.IntegerField


class WebhookDeliveryFilter(filters.FilterSet):
    endpoint = IdFilter(
        field_name="endpoint_id",
        min_value=1,
        max_value=MAX_ID,
        help_text=_("Only this endpoint's deliveries (its `id`)."),
    )
    status = filters.ChoiceFilter(choices=DeliveryStatus.choices)
    event_type = filters.ChoiceFilter(choices=WebhookEventType.choices)

    class Meta:
        model = WebhookDelivery
        fields = ("endpoint", "status", "event_type")


class WebhookDeliveryListApi(DealerListApi):
    serializer_class = WebhookDeliverySerializer
    filterset_class = WebhookDeliveryFilter
    model = WebhookDelivery

    def dealer_queryset(self):
        return selectors.webhook_delivery_list_for_user(user=self.request.user)

    @extend_schema(
        tags=TAGS,
        summary="Your webhook deliveries, newest first",
        description="Each delivery is one event sent to one endpoint; `payload` is the exact body sent. "
        "Cursor-paginated: follow `next`; `page_size` up to 200.",
        responses={
            200: WebhookDeliverySerializer(many=True),
            **error_responses(*READ),
            400: BAD_PAGE_RESPONSE,
        },
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)
