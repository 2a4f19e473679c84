"""Dealer API for webhook endpoints and their delivery log. Thin: parse, call one service or selector, render."""

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import CreatedCursorPagination
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
ERROR = inline_serializer(name="WebhookApiError", fields={
    "code": serializers.CharField(),
    "message": serializers.CharField(),
    "fields": serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
})
ENDPOINT_EXAMPLE = {
    "id": 7, "customer": "C00042", "url": "https://erp.dealer.example/oms/webhooks",
    "event_types": ["order.approved", "order.shipped", "invoice.issued"], "is_active": True,
    "consecutive_failures": 0, "disabled_at": None, "disabled_reason": "",
    "created_at": "2026-03-02T08:15:00Z", "updated_at": "2026-03-02T08:15:00Z",
}
SECRET_EXAMPLE = {**ENDPOINT_EXAMPLE, "secret": "whsec_3q2-7wE0xk8fQm3bS1y4Jb2Yt8Zr5nV0aP9cL6dH1uI"}
INVALID_EXAMPLE = OpenApiExample("Invalid", status_codes=["400"], response_only=True, value={
    "code": "invalid", "message": "Some fields are not valid.",
    "fields": {"url": ["Use https://; plain http:// is accepted only for localhost."],
               "event_types": ["Unknown event type: order.teleported."]}})
NOT_FOUND = OpenApiResponse(ERROR, description="No such endpoint among your customers'.", examples=[
    OpenApiExample("Not found", status_codes=["404"], response_only=True,
                   value={"code": "not_found", "message": "Not found.", "fields": {}})])


def _endpoint_page(view, queryset):
    page = view.paginate_queryset(queryset)
    return view.get_paginated_response(WebhookEndpointSerializer(page, many=True).data)


class WebhookEndpointListApi(generics.GenericAPIView):
    serializer_class = WebhookEndpointSerializer
    pagination_class = CreatedCursorPagination
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return WebhookEndpoint.objects.none()
        return selectors.webhook_endpoint_list_for_user(user=self.request.user)

    @extend_schema(tags=TAGS, summary="List your webhook endpoints", responses=WebhookEndpointSerializer(many=True))
    def get(self, request):
        return _endpoint_page(self, self.get_queryset())

    @extend_schema(
        tags=TAGS, summary="Register a webhook endpoint",
        description="The response carries the signing `secret`; it is shown again only after a rotation.",
        request=WebhookEndpointCreateSerializer,
        responses={201: WebhookEndpointWithSecretSerializer, 400: OpenApiResponse(ERROR, examples=[INVALID_EXAMPLE]),
                   403: OpenApiResponse(ERROR, description="Your account acts for no customer.")},
        examples=[
            OpenApiExample("Register", request_only=True, value={
                "url": "https://erp.dealer.example/oms/webhooks",
                "event_types": ["order.approved", "order.shipped", "invoice.issued"]}),
            OpenApiExample("Registered", response_only=True, status_codes=["201"], value=SECRET_EXAMPLE),
        ],
    )
    def post(self, request):
        serializer = WebhookEndpointCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        customer = selectors.webhook_customer_for_user(user=request.user, code=data.get("customer"))
        endpoint = services.webhook_endpoint_create(customer=customer, url=data["url"],
                                                    event_types=data["event_types"], actor=request.user)
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class WebhookEndpointDetailApi(APIView):
    @extend_schema(tags=TAGS, summary="Get a webhook endpoint",
                   responses={200: WebhookEndpointSerializer, 404: NOT_FOUND})
    def get(self, request, endpoint_id: int):
        endpoint = selectors.webhook_endpoint_get_for_user(user=request.user, endpoint_id=endpoint_id)
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(
        tags=TAGS, summary="Change a webhook endpoint",
        description="Give only what changes. `is_active: true` turns a disabled endpoint on again.",
        request=WebhookEndpointUpdateSerializer,
        responses={200: WebhookEndpointSerializer, 400: OpenApiResponse(ERROR, examples=[INVALID_EXAMPLE]),
                   404: NOT_FOUND},
        examples=[OpenApiExample("Re-enable", request_only=True, value={"is_active": True}),
                  OpenApiExample("Subscribe", request_only=True,
                                 value={"event_types": ["order.shipped", "shipment.tracking_updated"]})],
    )
    def patch(self, request, endpoint_id: int):
        serializer = WebhookEndpointUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_update(
            endpoint_id=endpoint_id, customer_ids=selectors.webhook_customer_ids_for_user(user=request.user),
            **serializer.validated_data)
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(tags=TAGS, summary="Delete a webhook endpoint and its delivery log",
                   responses={204: None, 404: NOT_FOUND})
    def delete(self, request, endpoint_id: int):
        services.webhook_endpoint_delete(endpoint_id=endpoint_id,
                                         customer_ids=selectors.webhook_customer_ids_for_user(user=request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookEndpointRotateSecretApi(APIView):
    @extend_schema(
        tags=TAGS, summary="Rotate the signing secret",
        description="Every later request, retries included, is signed with the new secret.",
        request=None, responses={200: WebhookEndpointWithSecretSerializer, 404: NOT_FOUND},
        examples=[OpenApiExample("Rotated", response_only=True, value=SECRET_EXAMPLE)],
    )
    def post(self, request, endpoint_id: int):
        endpoint = services.webhook_endpoint_rotate_secret(
            endpoint_id=endpoint_id, customer_ids=selectors.webhook_customer_ids_for_user(user=request.user))
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data)


class WebhookDeliveryFilter(filters.FilterSet):
    endpoint = filters.NumberFilter(field_name="endpoint_id")
    status = filters.ChoiceFilter(choices=DeliveryStatus.choices)
    event_type = filters.ChoiceFilter(choices=WebhookEventType.choices)

    class Meta:
        model = WebhookDelivery
        fields = ("endpoint", "status", "event_type")


class WebhookDeliveryListApi(generics.GenericAPIView):
    serializer_class = WebhookDeliverySerializer
    pagination_class = CreatedCursorPagination
    filterset_class = WebhookDeliveryFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return WebhookDelivery.objects.none()
        return selectors.webhook_delivery_list_for_user(user=self.request.user)

    @extend_schema(
        tags=TAGS, summary="Your webhook deliveries, newest first",
        description="Each delivery is one event sent to one endpoint; `payload` is the exact body sent.",
        responses=WebhookDeliverySerializer(many=True),
    )
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)
