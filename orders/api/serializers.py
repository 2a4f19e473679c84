"""Dealer API shapes for the catalog, quotes and orders.

Request serializers only check the shape (types, lengths, unknown keys); business validation
(unknown SKU, inactive product, options, pack sizes, dates, addresses) is the services' and comes
back as the same 400 with field paths. Response serializers read what the services and selectors
return and never query per row: prices, stock and URLs are handed in through the context.
"""

import threading

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.selectors import customer_credit_check
from inventory.selectors import atp_date
from orders.models import AllocationStatus, ApprovalStatus, Order, OrderEvent, OrderLine
from orders.review import review_state
from orders.selectors import order_allocation_summary
from orders.services import ADDRESS_FIELDS
from orders.states import OrderEventKind, OrderStatus, can_cancel, can_edit
from orders.timeline import event_sentences
from pricing.services import LineRequest
from restapi.serializers import (
    BoundedListSerializer,
    CachedModelFieldsMixin,
    ChoiceLabelField,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    StrictSerializer,
    absolute_url,
)

S = OrderStatus


# ---------------------------------------------------------------------------------------------
# Requests
# ---------------------------------------------------------------------------------------------


class LineInputSerializer(StrictSerializer):
    sku = StrictCharField(max_length=64, help_text=_("The product's SKU (see GET /api/v1/products/)."))
    quantity = StrictIntegerField(
        min_value=1,
        max_value=settings.ORDER_LINE_MAX_QUANTITY,
        help_text=_("Whole units; a multiple of the product's pack size."),
    )
    options = serializers.DictField(
        child=StrictCharField(max_length=40, allow_blank=True),
        required=False,
        help_text=_(
            'Chosen option values by option code, e.g. {"cab": "sleeper"}. Every required '
            "option of the product must be given."
        ),
    )

    class Meta:
        list_serializer_class = BoundedListSerializer


def line_requests(lines: list[dict]) -> list[LineRequest]:
    """Validated `lines` as the pricing and order services take them."""
    return [
        LineRequest(sku=line["sku"], quantity=line["quantity"], options=dict(line.get("options") or {}))
        for line in lines
    ]


class AddressInputSerializer(StrictSerializer):
    recipient = StrictCharField(max_length=120)
    phone = StrictCharField(max_length=40, required=False, allow_blank=True)
    country = StrictCharField(
        min_length=2, max_length=2, required=False, help_text=_("ISO 3166 two-letter code; CN when left out.")
    )
    region = StrictCharField(max_length=80, help_text=_("Province or region; decides the shipping rate."))
    city = StrictCharField(max_length=80)
    district = StrictCharField(max_length=80, required=False, allow_blank=True)
    line1 = StrictCharField(max_length=200)
    postal_code = StrictCharField(max_length=20, required=False, allow_blank=True)
    latitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=-90,
        max_value=90,
        required=False,
        allow_null=True,
        coerce_to_string=True,
    )
    longitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
        required=False,
        allow_null=True,
        coerce_to_string=True,
    )


def address_for_service(data: dict | None) -> dict | None:
    """The validated address as the service takes it: every value a string."""
    if data is None:
        return None
    return {name: "" if value is None else str(value) for name, value in data.items()}


class _AddressChoiceMixin:
    def validate(self, attrs):
        if attrs.get("shipping_address") is not None and attrs.get("shipping_address_id") is not None:
            raise serializers.ValidationError(
                {"shipping_address_id": [_("Give either shipping_address or shipping_address_id, not both.")]}
            )
        return attrs


class OrderCreateSerializer(_AddressChoiceMixin, StrictSerializer):
    customer = StrictCharField(
        max_length=32,
        required=False,
        help_text=_(
            "Customer code. Needed only when your account acts for several customers (a dealer group)."
        ),
    )
    lines = LineInputSerializer(
        many=True,
        min_length=1,
        max_length=settings.ORDER_MAX_LINES,
        help_text=_("1 to ORDER_MAX_LINES (%(max)d) lines.") % {"max": settings.ORDER_MAX_LINES},
    )
    requested_delivery_date = serializers.DateField(
        required=False, allow_null=True, help_text=_("YYYY-MM-DD, today or later.")
    )
    shipping_address = AddressInputSerializer(
        required=False,
        help_text=_(
            "Where to deliver. Leave out both this and shipping_address_id to use your default saved address."
        ),
    )
    shipping_address_id = StrictIntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text=_("Id of one of your saved addresses.")
    )
    external_reference = StrictCharField(
        max_length=80,
        required=False,
        allow_blank=True,
        help_text=_(
            "Your own reference (e.g. your PO number); unique per customer: a repeat is refused with 409."
        ),
    )
    notes = StrictCharField(max_length=2000, required=False, allow_blank=True)
    accepts_partial_shipments = StrictBooleanField(
        required=False,
        help_text=_(
            "When some lines are short: true ships what is in stock now and the rest later, false waits "
            "and ships complete. Defaults to your account's setting."
        ),
    )


_order_create_input = threading.local()


def order_create_input(data) -> dict:
    """OrderCreateSerializer's validated data for `data`; raises its ValidationError (400) when invalid.

    Building a serializer deep-copies its field tree (order, lines, address: some fifteen fields, each
    re-instantiated), which cost about as much as validating an order; validation keeps no state in the
    fields, so each thread builds the tree once and only the serializer's results are reset per call.
    """
    serializer = getattr(_order_create_input, "serializer", None)
    if serializer is None:
        serializer = _order_create_input.serializer = OrderCreateSerializer(data={})
        _ = serializer.fields
    serializer.initial_data = data
    for result in ("_validated_data", "_errors", "_data"):
        serializer.__dict__.pop(result, None)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class OrderUpdateSerializer(_AddressChoiceMixin, StrictSerializer):
    lines = LineInputSerializer(
        many=True,
        min_length=1,
        max_length=settings.ORDER_MAX_LINES,
        required=False,
        help_text=_("Replaces all lines; they are priced again."),
    )
    requested_delivery_date = serializers.DateField(required=False, allow_null=True)
    shipping_address = AddressInputSerializer(required=False)
    shipping_address_id = StrictIntegerField(required=False, min_value=1, max_value=2**63 - 1)
    external_reference = StrictCharField(max_length=80, required=False, allow_blank=True)
    notes = StrictCharField(max_length=2000, required=False, allow_blank=True)
    version = StrictIntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text=_(
            "The version you read; refused with 409 if the order changed since. Same as the If-Match header."
        ),
    )


class OrderCancelSerializer(StrictSerializer):
    reason = StrictCharField(
        max_length=500, help_text=_("Why the order is cancelled (shown on its timeline).")
    )
    version = StrictIntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text=_(
            "The version you read; refused with 409 if the order changed since. Same as the If-Match header."
        ),
    )


class OrderSubmitSerializer(StrictSerializer):
    version = StrictIntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text=_(
            "The version you read; refused with 409 if the order changed since. Same as the If-Match header."
        ),
    )


# ---------------------------------------------------------------------------------------------
# Catalog
# ---------------------------------------------------------------------------------------------


class OptionValueSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    price_delta = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, help_text=_("Added to the unit price when chosen.")
    )
    is_custom = serializers.BooleanField(
        read_only=True, help_text=_("Choosing it makes the line a custom build (lead time).")
    )


class OptionSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    required = serializers.BooleanField(read_only=True)
    values = OptionValueSerializer(many=True, read_only=True, source="values.all")


class CategorySerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class ProductSerializer(serializers.Serializer):
    """A catalog product with the caller's price and availability.

    Context: `prices` {product_id: pricing.selectors.CatalogPrice}, `available` {product_id: qty},
    `currency`, `today`.
    """

    sku = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    series = serializers.CharField(read_only=True)
    category = CategorySerializer(read_only=True)
    description = serializers.CharField(read_only=True)
    unit = serializers.CharField(read_only=True)
    pack_size = serializers.IntegerField(read_only=True, help_text=_("Quantities must be multiples of it."))
    weight_kg = serializers.DecimalField(max_digits=10, decimal_places=3, read_only=True)
    made_to_order = serializers.BooleanField(read_only=True)
    lead_time_days = serializers.IntegerField(read_only=True)
    options = OptionSerializer(many=True, read_only=True, source="options.all")
    currency = serializers.SerializerMethodField()
    list_price = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    unit_price = serializers.SerializerMethodField(
        help_text=_(
            "Your unit price before options and discount: your negotiated price, else the list price."
        )
    )
    discount_percent = serializers.SerializerMethodField(
        help_text=_("Your tier discount (0 with a negotiated price).")
    )
    net_unit_price = serializers.SerializerMethodField(
        help_text=_("Your unit price after discount, before options and tax.")
    )
    available_quantity = serializers.SerializerMethodField(
        help_text=_("Units available to promise from stock now (on hand less reserved, all warehouses).")
    )
    available_date = serializers.SerializerMethodField(
        help_text=_(
            "Earliest date one unit can leave a warehouse: tomorrow from stock, else after the lead time."
        )
    )

    def _price(self, product):
        return self.context["prices"][product.pk]

    @extend_schema_field(OpenApiTypes.STR)
    def get_currency(self, product) -> str:
        return self.context["currency"]

    @extend_schema_field(serializers.DecimalField(max_digits=14, decimal_places=2))
    def get_unit_price(self, product):
        return str(self._price(product).unit_price)

    @extend_schema_field(serializers.DecimalField(max_digits=5, decimal_places=2))
    def get_discount_percent(self, product):
        return str(self._price(product).discount_percent)

    @extend_schema_field(serializers.DecimalField(max_digits=14, decimal_places=2))
    def get_net_unit_price(self, product):
        return str(self._price(product).net_unit_price)

    def get_available_quantity(self, product) -> int:
        return self.context["available"].get(product.pk, 0)

    @extend_schema_field(OpenApiTypes.DATE)
    def get_available_date(self, product):
        available = self.context["available"].get(product.pk, 0)
        return atp_date(
            product=product, quantity=1, available=available, today=self.context["today"]
        ).isoformat()


# ---------------------------------------------------------------------------------------------
# Quotes
# ---------------------------------------------------------------------------------------------

MONEY = {"max_digits": 14, "decimal_places": 2, "read_only": True}


class SubstituteSerializer(serializers.Serializer):
    sku = serializers.CharField(read_only=True, source="product.sku")
    name = serializers.CharField(read_only=True, source="product.name")
    available = serializers.IntegerField(
        read_only=True, help_text=_("Units available from stock now (on hand less reserved, all warehouses).")
    )


class QuoteLineSerializer(serializers.Serializer):
    position = serializers.IntegerField(read_only=True)
    sku = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    quantity = serializers.IntegerField(read_only=True)
    options = serializers.DictField(child=serializers.CharField(), read_only=True)
    unit_price = serializers.DecimalField(**MONEY, help_text=_("Including option price differences."))
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True)
    discount_amount = serializers.DecimalField(**MONEY)
    net_amount = serializers.DecimalField(**MONEY)
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=4, read_only=True)
    tax_amount = serializers.DecimalField(**MONEY)
    line_total = serializers.DecimalField(**MONEY)
    is_custom_build = serializers.BooleanField(read_only=True)
    estimated_delivery_date = serializers.DateField(
        read_only=True,
        help_text=_("When this line could arrive: ready date plus transit to the shipping region."),
    )
    from_stock = serializers.BooleanField(
        read_only=True,
        help_text=_(
            "Whether stock available now covers the line, after what earlier open orders were promised. "
            "Built-to-order lines: false."
        ),
    )
    substitutes = SubstituteSerializer(
        many=True,
        read_only=True,
        help_text=_(
            "For a stock line that cannot be served from stock now: in-stock products of the same series "
            "or category that offer the options chosen, same series first, then most available. "
            "Otherwise empty."
        ),
    )


class QuoteCreditSerializer(serializers.Serializer):
    """Where the order would leave the customer's credit (crm.selectors.customer_credit_check)."""

    credit_limit = serializers.DecimalField(**MONEY, source="limit")
    exposure = serializers.DecimalField(
        **MONEY, help_text=_("Open invoices plus submitted orders not invoiced yet, before this order.")
    )
    available = serializers.DecimalField(
        **MONEY, help_text=_("Credit left after this order; negative: over the limit by that much.")
    )
    over_limit = serializers.BooleanField(read_only=True)
    overdue_balance = serializers.DecimalField(**MONEY, help_text=_("Overdue invoices not in dispute."))
    overdue_days = serializers.IntegerField(
        read_only=True, help_text=_("Days since the oldest overdue invoice fell due (0: none).")
    )
    on_hold = serializers.BooleanField(read_only=True, help_text=_("The account is on credit hold."))
    warnings = serializers.ListField(
        child=serializers.CharField(),
        source="messages",
        read_only=True,
        help_text=_(
            "Why the order may need finance's approval (over the limit, invoices overdue too long, credit "
            "hold), in the request's language. Empty: none of these."
        ),
    )


class QuoteSerializer(serializers.Serializer):
    customer = serializers.CharField(source="customer.code", read_only=True)
    currency = serializers.CharField(read_only=True)
    lines = serializers.SerializerMethodField()
    subtotal = serializers.DecimalField(
        **MONEY, help_text=_("Sum of the lines' net amounts (after discount).")
    )
    discount_total = serializers.DecimalField(**MONEY)
    tax_total = serializers.DecimalField(**MONEY)
    shipping_fee = serializers.DecimalField(**MONEY, help_text=_("Estimate for the shipping region."))
    total = serializers.DecimalField(**MONEY, help_text=_("subtotal + tax_total + shipping_fee"))
    promised_delivery_date = serializers.DateField(
        read_only=True, help_text=_("The date the whole order could arrive (the latest line).")
    )
    credit = serializers.SerializerMethodField()

    @extend_schema_field(QuoteCreditSerializer)
    def get_credit(self, quote):
        return QuoteCreditSerializer(
            customer_credit_check(customer=quote.customer, extra_amount=quote.total)
        ).data

    @extend_schema_field(QuoteLineSerializer(many=True))
    def get_lines(self, quote):
        short = quote.line_short or [False] * len(quote.lines)
        substitutes = quote.line_substitutes or [[] for _line in quote.lines]
        rows = [
            {
                **vars(line),
                "estimated_delivery_date": date,
                "from_stock": not line.is_custom_build and not is_short,
                "substitutes": [s._asdict() for s in alternatives],
            }
            for line, date, is_short, alternatives in zip(
                quote.lines, quote.line_dates, short, substitutes, strict=True
            )
        ]
        return QuoteLineSerializer(rows, many=True).data


# ---------------------------------------------------------------------------------------------
# Orders
# ---------------------------------------------------------------------------------------------


class LineProductionSerializer(serializers.Serializer):
    """Where the build of a line stands: the summary production keeps on the line (no production query)."""

    stage = serializers.CharField(
        read_only=True,
        help_text=_("The stage being worked on or last finished, e.g. “Painting”; empty before."),
    )
    progress_percent = serializers.IntegerField(
        read_only=True, min_value=0, max_value=100, help_text=_("How far the build is, 0 to 100.")
    )
    promised_date = serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text=_("The ready date promised when the build was scheduled; null until it is."),
    )
    eta = serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text=_("The ready date estimated now from the build's progress; null until scheduled."),
    )
    delayed = serializers.BooleanField(
        read_only=True, help_text=_("True when the estimated date is after the promised date.")
    )


class OrderLineSerializer(CachedModelFieldsMixin, serializers.ModelSerializer):
    options = serializers.DictField(child=serializers.CharField(), read_only=True)
    production = serializers.SerializerMethodField(
        help_text=_(
            "For a line built to order: its production stage, progress and dates. Null for a line taken "
            "from stock (and for a made-to-order line until production schedules it)."
        )
    )

    class Meta:
        model = OrderLine
        fields = [
            "position",
            "sku",
            "description",
            "quantity",
            "options",
            "unit_price",
            "discount_percent",
            "discount_amount",
            "net_amount",
            "tax_rate",
            "tax_amount",
            "line_total",
            "is_custom_build",
            "quantity_allocated",
            "quantity_shipped",
            "production",
        ]
        read_only_fields = fields

    @extend_schema_field(LineProductionSerializer(allow_null=True))
    def get_production(self, line):
        return line.production


class ShippingAddressSerializer(serializers.Serializer):
    """The address snapshot kept on the order (later edits of a saved address do not change it)."""

    recipient = serializers.CharField(read_only=True)
    phone = serializers.CharField(read_only=True)
    country = serializers.CharField(read_only=True)
    region = serializers.CharField(read_only=True)
    city = serializers.CharField(read_only=True)
    district = serializers.CharField(read_only=True)
    line1 = serializers.CharField(read_only=True)
    postal_code = serializers.CharField(read_only=True)
    latitude = serializers.CharField(read_only=True, allow_null=True)
    longitude = serializers.CharField(read_only=True, allow_null=True)

    def to_representation(self, instance):
        snapshot = instance or {}
        out = {name: str(snapshot.get(name) or "") for name in ADDRESS_FIELDS}
        for name in ("latitude", "longitude"):
            out[name] = out[name] or None
        return out


class AllocationWarehouseSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True, help_text=_("The warehouse's code."))
    reserved = serializers.IntegerField(read_only=True, help_text=_("Units held for this line there."))
    shipped = serializers.IntegerField(read_only=True, help_text=_("Units shipped from there."))


class AllocationLineSerializer(serializers.Serializer):
    position = serializers.IntegerField(read_only=True)
    sku = serializers.CharField(read_only=True)
    from_stock = serializers.BooleanField(
        read_only=True, help_text=_("False for lines built to order by production.")
    )
    warehouses = AllocationWarehouseSerializer(many=True, read_only=True)
    backordered = serializers.IntegerField(read_only=True, help_text=_("Units waiting for stock."))
    explanation = serializers.CharField(read_only=True, help_text=_("Why, in words (your language)."))


class FulfilmentSerializer(serializers.Serializer):
    """Where the order stands, summed from its lines (which production and logistics keep current)."""

    allocation_status = serializers.ChoiceField(
        choices=AllocationStatus.choices,
        read_only=True,
        help_text=_(
            'Stock allocation after approval: "" not yet, allocated, partial (rest backordered), '
            "backordered, not_needed (built to order), released (cancelled)."
        ),
    )
    allocation_status_display = serializers.CharField(read_only=True)
    allocation_explanation = serializers.CharField(
        read_only=True, help_text=_("Which warehouses ship the order and why.")
    )
    quantity_backordered = serializers.IntegerField(read_only=True)
    allocation_lines = AllocationLineSerializer(many=True, read_only=True)

    quantity_ordered = serializers.IntegerField(read_only=True)
    quantity_allocated = serializers.IntegerField(read_only=True, help_text=_("Reserved from stock so far."))
    quantity_shipped = serializers.IntegerField(read_only=True)
    allocation = serializers.ChoiceField(choices=["none", "partial", "full"], read_only=True)
    shipping = serializers.ChoiceField(choices=["none", "partial", "full"], read_only=True)
    custom_build_lines = serializers.IntegerField(
        read_only=True, help_text=_("Lines built to order by production.")
    )
    in_production_at = serializers.DateTimeField(read_only=True, allow_null=True)
    shipments_url = serializers.URLField(
        read_only=True,
        help_text=_("The order's shipments with tracking: GET /api/v1/shipments/?order=<number>."),
    )


class ReviewStepSerializer(serializers.Serializer):
    level = serializers.IntegerField(
        read_only=True, help_text=_("1, 2 … in the order they are asked; 0 for the automatic approval.")
    )
    role = serializers.CharField(
        read_only=True, allow_null=True, help_text=_("Who approves, e.g. “Order manager”; null: the system.")
    )
    decision = serializers.ChoiceField(choices=ApprovalStatus.choices, read_only=True)
    comment = serializers.CharField(
        read_only=True,
        help_text=_("The reviewer's reasons, for a rejection or requested changes; else empty."),
    )
    decided_at = serializers.DateTimeField(read_only=True, allow_null=True)


class ReviewSerializer(serializers.Serializer):
    """Where the order's review stands (read-only; the seller's reviewers decide)."""

    status = serializers.ChoiceField(
        choices=["waiting", "approved", "rejected", "changes_requested", ""],
        read_only=True,
        help_text=_(
            "waiting for approvals, approved, rejected, changes_requested (the order is a draft again); "
            '"" when nothing was decided.'
        ),
    )
    round = serializers.IntegerField(
        read_only=True, help_text=_("1 for the first submission; each resubmission is reviewed anew.")
    )
    waiting_for = ReviewStepSerializer(
        many=True, read_only=True, help_text=_("The approvals still to come, level by level.")
    )
    decisions = ReviewStepSerializer(many=True, read_only=True)


# What dealers see of a reviewer's comment: the reasons they must act on, not internal approval notes.
_COMMENTED = frozenset({ApprovalStatus.REJECTED, ApprovalStatus.CHANGES_REQUESTED})


def _review_step(step, *, decided: bool) -> dict:
    return {
        "level": step.level,
        "role": step.role_name or None,
        "decision": step.status,
        "comment": step.comment if step.status in _COMMENTED else "",
        "decided_at": (
            serializers.DateTimeField().to_representation(step.decided_at)
            if decided and step.decided_at
            else None
        ),
    }


def _progress(done: int, total: int) -> str:
    return "none" if done <= 0 else "full" if done >= total else "partial"


class OrderSerializer(CachedModelFieldsMixin, serializers.ModelSerializer):
    """An order with its lines. Lines must be prefetched (orders.selectors.order_get_for_dealer/list)."""

    status_display = ChoiceLabelField(OrderStatus, source="status")
    customer = serializers.CharField(source="customer.code", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    shipping_address = ShippingAddressSerializer(read_only=True)
    lines = OrderLineSerializer(many=True, read_only=True, source="lines.all")
    fulfilment = serializers.SerializerMethodField()
    review = serializers.SerializerMethodField(
        help_text=_("Where the review stands; null before the order's review has opened.")
    )
    can_cancel = serializers.SerializerMethodField()
    can_edit = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    timeline_url = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "number",
            "status",
            "status_display",
            "customer",
            "customer_name",
            "channel",
            "external_reference",
            "notes",
            "requested_delivery_date",
            "promised_delivery_date",
            "shipping_address",
            "accepts_partial_shipments",
            "currency",
            "subtotal",
            "discount_total",
            "tax_total",
            "shipping_fee",
            "total",
            "version",
            "created_at",
            "updated_at",
            "submitted_at",
            "approved_at",
            "shipped_at",
            "delivered_at",
            "cancelled_at",
            "lines",
            "fulfilment",
            "review",
            "can_cancel",
            "can_edit",
            "url",
            "timeline_url",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "version": {
                "help_text": _(
                    "Bumped by every change; send it back as If-Match (or `version`) when you "
                    "change the order."
                )
            }
        }

    @extend_schema_field(FulfilmentSerializer)
    def get_fulfilment(self, order):
        lines = list(order.lines.all())
        ordered = sum(line.quantity for line in lines)
        allocated = sum(min(line.quantity_allocated, line.quantity) for line in lines)
        shipped = sum(line.quantity_shipped for line in lines)
        request = self.context.get("request")
        view = order_allocation_summary(order=order, lines=lines)
        return {
            "allocation_status": view.status,
            "allocation_status_display": view.status_label,
            "allocation_explanation": view.explanation,
            "quantity_backordered": view.backordered,
            "allocation_lines": [
                {
                    "position": line.position,
                    "sku": line.sku,
                    "from_stock": line.from_stock,
                    "warehouses": [
                        {"code": w["code"], "reserved": w["reserved"], "shipped": w["shipped"]}
                        for w in line.warehouses
                    ],
                    "backordered": line.backordered,
                    "explanation": line.explanation,
                }
                for line in view.lines
            ],
            "quantity_ordered": ordered,
            "quantity_allocated": allocated,
            "quantity_shipped": shipped,
            "allocation": _progress(allocated, ordered),
            "shipping": _progress(shipped, ordered),
            "custom_build_lines": sum(1 for line in lines if line.is_custom_build),
            "in_production_at": (
                serializers.DateTimeField().to_representation(order.in_production_at)
                if order.in_production_at
                else None
            ),
            "shipments_url": f"{absolute_url(request, 'shipment-list')}?order={order.number}",
        }

    @extend_schema_field(ReviewSerializer(allow_null=True))
    def get_review(self, order):
        # Approvals are prefetched with the order (orders.selectors.order_get_for_dealer, the list view).
        state = review_state(order.approvals.all())
        if state is None:
            return None
        return {
            "status": state.outcome,
            "round": state.round,
            "waiting_for": [_review_step(step, decided=False) for step in state.waiting],
            "decisions": [
                _review_step(step, decided=True)
                for step in state.steps
                if step.status not in (ApprovalStatus.PENDING, ApprovalStatus.SUPERSEDED)
            ],
        }

    def get_can_cancel(self, order) -> bool:
        return can_cancel(order.status, status_before_hold=order.status_before_hold)

    def get_can_edit(self, order) -> bool:
        return can_edit(order.status)

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, order):
        return absolute_url(self.context.get("request"), "order-detail", number=order.number)

    @extend_schema_field(OpenApiTypes.URI)
    def get_timeline_url(self, order):
        return absolute_url(self.context.get("request"), "order-timeline", number=order.number)


_order_renderer = threading.local()


class _OrderRenderer:
    """OrderSerializer's output without DRF's per-field machinery: the same bound fields, called directly.

    Built once per thread from one bound OrderSerializer: each plain field is read with getattr along its
    source and formatted by its own DRF field (so decimals, dates and labels come out exactly as the
    serializer writes them; None stays None), method fields call the serializer's methods, and the lines
    are rendered the same way with the line serializer's fields.
    """

    def __init__(self):
        self.serializer = OrderSerializer(context={})
        self.plan = self._plan(self.serializer)
        lines = self.serializer.fields["lines"]
        self.line_plan = self._plan(lines.child)

    @staticmethod
    def _plan(serializer) -> list:
        plan = []
        for name, field in serializer.fields.items():
            if isinstance(field, serializers.SerializerMethodField):
                plan.append((name, "method", getattr(serializer, field.method_name)))
            elif isinstance(field, serializers.ListSerializer):
                plan.append((name, "lines", None))
            else:
                plan.append((name, tuple(field.source_attrs), field.to_representation))
        return plan

    @staticmethod
    def _render(plan, instance, lines) -> dict:
        out = {}
        for name, source, render in plan:
            if source == "method":
                out[name] = render(instance)
            elif source == "lines":
                out[name] = lines(instance)
            else:
                value = instance
                for attr in source:
                    value = getattr(value, attr)
                    if value is None:
                        break
                out[name] = None if value is None else render(value)
        return out

    def lines(self, order) -> list:
        return [self._render(self.line_plan, line, None) for line in order.lines.all()]

    def render(self, order, request) -> dict:
        self.serializer._context = {"request": request}
        try:
            return self._render(self.plan, order, self.lines)
        finally:
            self.serializer._context = {}


def order_data(order: Order, *, request) -> dict:
    """What OrderSerializer(order, context={"request": request}).data holds, at a fraction of the cost.

    Instantiating a serializer copies its whole field tree (order, lines, address, fulfilment), and
    DRF's generic field loop costs more than the formatting itself; every order write renders one. So
    each thread keeps one renderer (_OrderRenderer) and hands it the request for the call.
    """
    renderer = getattr(_order_renderer, "renderer", None)
    if renderer is None:
        renderer = _order_renderer.renderer = _OrderRenderer()
    return renderer.render(order, request)


class OrderEventSerializer(CachedModelFieldsMixin, serializers.ModelSerializer):
    # A plain string, not an enum: new kinds come with new stages, and a client generated from the
    # schema must not break on one. The codes are listed in the dealer guide.
    kind = serializers.CharField(
        read_only=True,
        help_text=_("What happened, as a stable code such as `order.approved` (see the dealer guide)."),
    )
    kind_label = ChoiceLabelField(
        OrderEventKind,
        source="kind",
        help_text=_("What happened, in the language of the request, e.g. “Approved”."),
    )
    # Named, or "Staff" for the seller's people, by orders.selectors.order_event_list_for_user.
    actor = serializers.CharField(
        source="actor_name",
        read_only=True,
        allow_null=True,
        help_text=_("Who did it: one of your people by name, “Staff” for ours; null for the system."),
    )
    data = serializers.DictField(read_only=True)
    changes = serializers.SerializerMethodField(
        help_text=_(
            "For `order.updated`: what changed, one sentence per difference in the language of the "
            "request, e.g. “Quantity of TRK-001 changed from 2 to 3 by Staff.” (`data` holds the same "
            "as `header` and `lines`). For production's entries (`order.production_progress`, "
            "`order.eta_changed`): what production reported, e.g. “Line 1 (TRK-001): Painting started.” "
            "Empty for other kinds."
        )
    )

    class Meta:
        model = OrderEvent
        fields = [
            "kind",
            "kind_label",
            "from_status",
            "to_status",
            "actor",
            "note",
            "data",
            "changes",
            "created_at",
        ]
        read_only_fields = fields

    def get_changes(self, event) -> list[str]:
        return event_sentences(event)
