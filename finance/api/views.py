"""Dealer API for invoices: read-only, the dealer's own issued invoices (finance.selectors)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.base import DealerApiMixin, DealerListApiMixin
from core.api.schema import READ, error_responses
from core.errors import NotFound
from crm.selectors import customer_list_for_user
from finance.api.filters import InvoiceFilter
from finance.api.serializers import InvoiceSerializer
from finance.models import Invoice
from finance.selectors import invoice_get_for_dealer, invoice_list_for_dealer

MAX_NUMBER_LENGTH = 32


@extend_schema(
    tags=["invoices"],
    summary="List your invoices",
    description="Issued invoices of every customer your account acts for, newest first. Cursor-paginated.",
    responses={200: InvoiceSerializer(many=True), **error_responses(*READ)},
)
class InvoiceListApi(DealerListApiMixin, generics.ListAPIView):
    customers_selector = staticmethod(customer_list_for_user)
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
class InvoiceDetailApi(DealerApiMixin, APIView):
    customers_selector = staticmethod(customer_list_for_user)

    def get(self, request, number: str):
        if len(number) > MAX_NUMBER_LENGTH or not number.isprintable():
            raise NotFound()
        invoice = invoice_get_for_dealer(user=request.user, number=number)
        return Response(InvoiceSerializer(invoice, context={"request": request}).data)
