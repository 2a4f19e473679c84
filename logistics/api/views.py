"""Dealer API for shipments: read-only, with carrier tracking events (logistics.selectors)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from logistics.api.filters import ShipmentFilter
from logistics.api.serializers import ShipmentSerializer
from logistics.models import Shipment
from logistics.selectors import shipment_get_for_dealer, shipment_list_for_dealer
from restapi.base import DealerApi, DealerListApi, document_number
from restapi.schema import READ, error_responses


@extend_schema(
    tags=["shipments"],
    summary="List your shipments with tracking",
    description="Shipments of your orders, newest first, each with its lines and carrier tracking events "
    "(newest first). `?order=<number>` gives one order's shipments. Cursor-paginated.",
    responses={200: ShipmentSerializer(many=True), **error_responses(*READ)},
)
class ShipmentListApi(DealerListApi):
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
class ShipmentDetailApi(DealerApi):
    def get(self, request, number: str):
        shipment = shipment_get_for_dealer(user=request.user, number=document_number(number))
        return Response(ShipmentSerializer(shipment, context={"request": request}).data)
