"""Dealer API for invoices: read-only, the dealer's own issued invoices (finance.selectors)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from finance.api.filters import InvoiceFilter
from finance.api.serializers import InvoiceSerializer
from finance.models import Invoice
from finance.selectors import invoice_get_for_dealer, invoice_list_for_dealer
from restapi.base import DealerApi, DealerListApi, document_number
from restapi.schema import READ, error_responses


@extend_schema(
    tags=["invoices"],
    summary="List your invoices",
    description="Issued invoices of every customer your account acts for, newest first. Cursor-paginated.",
    responses={200: InvoiceSerializer(many=True), **error_responses(*READ)},
)
class InvoiceListApi(DealerListApi):
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter
    model = Invoice

    def dealer_queryset(self):
        return invoice_list_for_dealer(user=self.request.user)


@extend_schema(
    tags=["invoices"],
    summary="Get one of your invoices",
    parameters=[
        OpenApiParameter("number", OpenApiTypes.STR, OpenApiParameter.PATH, description="Invoice number.")
    ],
    responses={200: InvoiceSerializer, **error_responses(*READ, 404)},
)
class InvoiceDetailApi(DealerApi):
    def get(self, request, number: str):
        invoice = invoice_get_for_dealer(user=request.user, number=document_number(number))
        return Response(InvoiceSerializer(invoice, context={"request": request}).data)
