from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from finance.models import Invoice
from finance.states import InvoiceStatus
from restapi.serializers import ChoiceLabelField, absolute_url


class InvoiceSerializer(serializers.ModelSerializer):
    status_display = ChoiceLabelField(InvoiceStatus, source="status")
    order = serializers.CharField(
        source="order.number", read_only=True, help_text=_("The invoiced order's number.")
    )
    customer = serializers.CharField(source="customer.code", read_only=True)
    balance = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, help_text=_("total − amount_paid")
    )
    url = serializers.SerializerMethodField()
    order_url = serializers.SerializerMethodField()

    class Meta:
        model = Invoice
        fields = [
            "number",
            "order",
            "customer",
            "status",
            "status_display",
            "currency",
            "subtotal",
            "discount_total",
            "tax_total",
            "shipping_fee",
            "total",
            "amount_paid",
            "balance",
            "issued_at",
            "due_date",
            "paid_at",
            "created_at",
            "url",
            "order_url",
        ]
        read_only_fields = fields

    def _absolute(self, name: str, number: str) -> str:
        return absolute_url(self.context.get("request"), name, number=number)

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, invoice):
        return self._absolute("invoice-detail", invoice.number)

    @extend_schema_field(OpenApiTypes.URI)
    def get_order_url(self, invoice):
        return self._absolute("order-detail", invoice.order.number)
