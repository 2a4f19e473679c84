"""Dealer API for shipments: read-only, with carrier tracking events (logistics.selectors)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.base import DealerApiMixin, DealerListApiMixin
from core.api.schema import READ, error_responses
from core.errors import NotFound
from crm.selectors import customer_list_for_user
from logistics.api.filters import ShipmentFilter
from logistics.api.serializers import ShipmentSerializer
from logistics.models import Shipment
from logistics.selectors import shipment_get_for_dealer, shipment_list_for_dealer

MAX_NUMBER_LENGTH = 32


@extend_schema(
    tags=["shipments"],
    summary="List your shipments with tracking",
    description="Shipments of your orders, newest first, each with its lines and carrier tracking events "
    "(newest first). `?order=<number>` gives one order's shipments. Cursor-paginated.",
    responses={200: ShipmentSerializer(many=True), **error_responses(*READ)},
)
class ShipmentListApi(DealerListApiMixin, generics.ListAPIView):
    customers_selector = staticmethod(customer_list_for_user)
    serializer_class = ShipmentSerializer
    filterset_class = ShipmentFilter
    model = Shipment

    def dealer_queryset(self):
        return shipment_list_for_dealer(user=self.request.user)


@extend_schema(
    tags=["shipments"],
    summary="Get one of your shipments",
    parameters=[
        OpenApiParameter("number", OpenApiTypes.STR, OpenApiParameter.PATH, description="Shipment number.")
    ],
    responses={200: ShipmentSerializer, **error_responses(*READ, 404)},
)
class ShipmentDetailApi(DealerApiMixin, APIView):
    customers_selector = staticmethod(customer_list_for_user)

    def get(self, request, number: str):
        if len(number) > MAX_NUMBER_LENGTH or not number.isprintable():
            raise NotFound()
        shipment = shipment_get_for_dealer(user=request.user, number=number)
        return Response(ShipmentSerializer(shipment, context={"request": request}).data)
