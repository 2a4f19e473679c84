"""Dealer API for the catalog, quotes and orders: parse, call one service or selector, render.

The catalog lives here rather than in inventory/api because a dealer's price (pricing) and
their customer (crm, through orders.selectors) sit above inventory; orders is the lowest app that
may read all three.

Order summaries of production and shipping come from facts written onto the order lines
(quantity_allocated, quantity_shipped, is_custom_build, and production's stage, progress, promised
date and estimate per built line): orders may not import production or
logistics. The shipments themselves, with tracking, are at GET /api/v1/shipments/?order=<number>.
"""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from core.db import set_prefetched
from inventory.models import Product
from inventory.selectors import product_list_active, stock_available_by_product
from orders.api.filters import OrderFilter, ProductFilter
from orders.api.serializers import (
    OrderCancelSerializer,
    OrderCreateSerializer,
    OrderEventSerializer,
    OrderSerializer,
    OrderSubmitSerializer,
    OrderUpdateSerializer,
    ProductSerializer,
    QuoteSerializer,
    address_for_service,
    line_requests,
    order_create_input,
    order_data,
)
from orders.models import Channel, Order, OrderEvent
from orders.selectors import (
    allocations_with_warehouses,
    order_event_list_for_user,
    order_get_for_dealer,
    order_list_for_dealer,
)
from orders.services import (
    order_cancel,
    order_create,
    order_quote_request,
    order_submit,
    order_update,
)
from pricing.selectors import product_prices_for_customer
from restapi.base import ApiCursorPagination, DealerApi, DealerListApi, document_number
from restapi.idempotency import idempotent
from restapi.schema import IDEMPOTENCY_KEY_PARAMETER, READ, WRITE, error_responses
from restapi.serializers import absolute_url


class ProductCursorPagination(ApiCursorPagination):
    ordering = ("sku",)


def expected_version(request, body_version: int | None) -> int | None:
    """The version the client based its change on: the If-Match header or the `version` field."""
    header = request.headers.get("If-Match")
    version = None
    if header is not None and header.strip() != "*":
        raw = header.strip().removeprefix("W/").strip('"')
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
            raise exceptions.ValidationError(
                {"If-Match": [_('Send the order\'s version, e.g. "3" (its ETag).')]}
            )
        version = int(raw)
    if version is not None and body_version is not None and version != body_version:
        raise exceptions.ValidationError({"version": [_("Does not match the If-Match header.")]})
    return version if version is not None else body_version


def dealer_order(request, number: str, *, with_lines: bool = True):
    return order_get_for_dealer(user=request.user, number=document_number(number), with_lines=with_lines)


def order_response(request, order, *, status_code: int = status.HTTP_200_OK) -> Response:
    headers = {"ETag": f'"{order.version}"'}
    if status_code == status.HTTP_201_CREATED:
        headers["Location"] = absolute_url(request, "order-detail", number=order.number)
    return Response(order_data(order, request=request), status=status_code, headers=headers)


CUSTOMER_PARAMETER = OpenApiParameter(
    name="customer",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.QUERY,
    required=False,
    description="Customer code whose prices to show. Needed only when your account acts for several "
    "customers (a dealer group).",
)
IF_MATCH_PARAMETER = OpenApiParameter(
    name="If-Match",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description='The order\'s version as read (its ETag, e.g. `"3"`). If the order has changed since, the '
    "request is refused with 409 `concurrent_modification` and nothing is written.",
)
NUMBER_PARAMETER = OpenApiParameter(
    name="number",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.PATH,
    description="Order number, e.g. SO-2026-000042.",
)

LINES_EXAMPLE = [
    {"sku": "TRK-H6-2024", "quantity": 2, "options": {"cab": "sleeper", "engine": "wp10-380"}},
    {"sku": "LED-PANEL-60", "quantity": 40},
]
ORDER_REQUEST_EXAMPLE = OpenApiExample(
    "Order with a new address",
    request_only=True,
    value={
        "lines": LINES_EXAMPLE,
        "requested_delivery_date": "2026-09-30",
        "shipping_address": {
            "recipient": "Li Wei",
            "phone": "13800000000",
            "region": "Guangdong",
            "city": "Guangzhou",
            "district": "Tianhe",
            "line1": "1 Tianhe Road",
            "postal_code": "510000",
        },
        "external_reference": "PO-7781",
        "notes": "Deliver to gate 3.",
    },
)
ORDER_SAVED_ADDRESS_EXAMPLE = OpenApiExample(
    "Dealer group, saved address",
    request_only=True,
    value={
        "customer": "D-SZ-001",
        "lines": [{"sku": "LED-PANEL-60", "quantity": 40}],
        "shipping_address_id": 17,
        "external_reference": "PO-7782",
    },
)
ORDER_LINE_EXAMPLE = {
    "position": 1,
    "sku": "LED-PANEL-60",
    "description": "LED panel 60×60",
    "quantity": 40,
    "options": {},
    "unit_price": "120.00",
    "discount_percent": "5.00",
    "discount_amount": "240.00",
    "net_amount": "4560.00",
    "tax_rate": "0.1300",
    "tax_amount": "592.80",
    "line_total": "5152.80",
    "is_custom_build": False,
    "quantity_allocated": 0,
    "quantity_shipped": 0,
    "production": None,
}
ORDER_RESPONSE_EXAMPLE = OpenApiExample(
    "Submitted order",
    response_only=True,
    value={
        "number": "SO-2026-000042",
        "status": "submitted",
        "status_display": "Submitted",
        "customer": "D-SZ-001",
        "customer_name": "Shenzhen Lighting Co.",
        "channel": "dealer_api",
        "external_reference": "PO-7782",
        "notes": "",
        "requested_delivery_date": None,
        "promised_delivery_date": "2026-07-14",
        "shipping_address": {
            "recipient": "Li Wei",
            "phone": "13800000000",
            "country": "CN",
            "region": "Guangdong",
            "city": "Guangzhou",
            "district": "Tianhe",
            "line1": "1 Tianhe Road",
            "postal_code": "510000",
            "latitude": None,
            "longitude": None,
        },
        "accepts_partial_shipments": True,
        "currency": "CNY",
        "subtotal": "4560.00",
        "discount_total": "240.00",
        "tax_total": "592.80",
        "shipping_fee": "0.00",
        "total": "5152.80",
        "version": 1,
        "created_at": "2026-07-10T09:30:00+08:00",
        "updated_at": "2026-07-10T09:30:00+08:00",
        "submitted_at": "2026-07-10T09:30:00+08:00",
        "approved_at": None,
        "shipped_at": None,
        "delivered_at": None,
        "cancelled_at": None,
        "lines": [ORDER_LINE_EXAMPLE],
        "fulfilment": {
            "allocation_status": "",
            "allocation_status_display": "Not allocated",
            "allocation_explanation": "",
            "quantity_backordered": 0,
            "allocation_lines": [
                {
                    "position": 1,
                    "sku": "LED-PANEL-60",
                    "from_stock": True,
                    "warehouses": [],
                    "backordered": 0,
                    "explanation": "",
                }
            ],
            "quantity_ordered": 40,
            "quantity_allocated": 0,
            "quantity_shipped": 0,
            "allocation": "none",
            "shipping": "none",
            "custom_build_lines": 0,
            "in_production_at": None,
            "shipments_url": "https://oms.example.com/api/v1/shipments/?order=SO-2026-000042",
        },
        "can_cancel": True,
        "can_edit": True,
        "url": "https://oms.example.com/api/v1/orders/SO-2026-000042/",
        "timeline_url": "https://oms.example.com/api/v1/orders/SO-2026-000042/timeline/",
    },
)


@extend_schema(
    tags=["catalog"],
    summary="List the catalog with your prices and availability",
    description="Active products with their configurable options, your unit price (negotiated, else list "
    "price less your tier discount) and available-to-promise quantity and date. Ordered by SKU; "
    "cursor-paginated (`next`/`previous` links).",
    parameters=[CUSTOMER_PARAMETER],
    responses={200: ProductSerializer(many=True), **error_responses(*READ)},
)
class ProductListApi(DealerListApi):
    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    pagination_class = ProductCursorPagination
    model = Product

    def dealer_queryset(self):
        return product_list_active()

    def list(self, request, *args, **kwargs):
        customer = self.dealer_customer(request.query_params.get("customer"))
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = {
            **self.get_serializer_context(),
            "currency": customer.currency,
            "today": timezone.localdate(),
            "prices": product_prices_for_customer(customer=customer, products=page),
            "available": stock_available_by_product(product_ids=[p.pk for p in page]),
        }
        return self.get_paginated_response(ProductSerializer(page, many=True, context=context).data)


@extend_schema(
    tags=["orders"],
    summary="Price an order without placing it",
    description="Takes the same body as POST /api/v1/orders/ and validates it the same way; returns line "
    "prices, discounts, tax, the shipping estimate, totals and the promised delivery date. "
    "Dates are available-to-promise: stock on hand less reservations, then incoming transfers and "
    "expected receipts, after what earlier open orders were promised; else the product's lead time. "
    "A line that cannot be served from stock now lists `substitutes`. "
    "Nothing is written. `external_reference` and `notes` are accepted and ignored.",
    request=OrderCreateSerializer,
    examples=[ORDER_REQUEST_EXAMPLE, ORDER_SAVED_ADDRESS_EXAMPLE],
    responses={200: QuoteSerializer, **error_responses(*WRITE)},
)
class QuoteCreateApi(DealerApi):
    def post(self, request):
        data = order_create_input(request.data)
        customer = self.dealer_customer(data.get("customer"))
        quote = order_quote_request(
            customer=customer,
            lines=line_requests(data["lines"]),
            requested_delivery_date=data.get("requested_delivery_date"),
            shipping_address=address_for_service(data.get("shipping_address")),
            shipping_address_id=data.get("shipping_address_id"),
            with_substitutes=True,
        )
        return Response(QuoteSerializer(quote, context={"request": request}).data)


class OrderListCreateApi(DealerListApi):
    serializer_class = OrderSerializer
    filterset_class = OrderFilter
    ordering_choices = {
        "-created_at": ("-created_at", "-id"),
        "created_at": ("created_at", "id"),
        "-total": ("-total", "-id"),
        "total": ("total", "id"),
    }

    model = Order

    def dealer_queryset(self):
        return order_list_for_dealer(
            user=self.request.user, customer_ids=[c.pk for c in self.dealer_customers()]
        ).prefetch_related("lines", allocations_with_warehouses(), "approvals")

    @extend_schema(
        tags=["orders"],
        summary="List your orders",
        description="Your orders only (every customer your account acts for), newest first by default, with "
        "their lines. Cursor-paginated: follow `next`; `page_size` up to 200.",
        parameters=[
            OpenApiParameter(
                name="ordering",
                type=OpenApiTypes.STR,
                location=OpenApiParameter.QUERY,
                required=False,
                enum=["-created_at", "created_at", "-total", "total"],
                description="Sort order (default `-created_at`). Keep it the same while following cursors.",
            )
        ],
        responses={200: OrderSerializer(many=True), **error_responses(*READ)},
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(
        tags=["orders"],
        summary="Place an order",
        description="Creates and submits an order for review. Send an `Idempotency-Key` to make "
        "retries safe. "
        "A repeated `external_reference` for the same customer is refused with 409 naming the "
        "existing order. `status`, prices, `priority` and any other field not listed are refused "
        "as unknown fields (400).",
        request=OrderCreateSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        examples=[ORDER_REQUEST_EXAMPLE, ORDER_SAVED_ADDRESS_EXAMPLE, ORDER_RESPONSE_EXAMPLE],
        responses={201: OrderSerializer, **error_responses(*WRITE, 409, 422)},
    )
    def post(self, request):
        return idempotent(self, request, scope=self.dealer_scope(), handler=lambda: self._create(request))

    def _create(self, request) -> Response:
        data = order_create_input(request.data)
        customer = self.dealer_customer(data.get("customer"))
        order = order_create(
            customer=customer,
            channel=Channel.DEALER_API,
            actor=request.user,
            lines=line_requests(data["lines"]),
            requested_delivery_date=data.get("requested_delivery_date"),
            shipping_address=address_for_service(data.get("shipping_address")),
            shipping_address_id=data.get("shipping_address_id"),
            external_reference=data.get("external_reference", ""),
            notes=data.get("notes", ""),
            accepts_partial_shipments=data.get("accepts_partial_shipments"),
        )
        # The service's own order object (customer attached, its lines in hand); a new order has no
        # review round yet (its review opens after commit), so its approvals need no query.
        set_prefetched(order, "approvals", [])
        return order_response(request, order, status_code=status.HTTP_201_CREATED)


class OrderDetailApi(DealerApi):
    @extend_schema(
        tags=["orders"],
        summary="Get one of your orders",
        parameters=[NUMBER_PARAMETER],
        description="The order with its lines and a fulfilment summary (allocation, production, shipping). "
        "Each line built to order carries `production`: its stage, progress, promised and estimated "
        "ready dates, and whether it runs late (null for lines taken from stock). "
        "The ETag header carries the version to send back as If-Match when changing it. "
        "Another dealer's order answers 404.",
        responses={200: OrderSerializer, **error_responses(*READ, 404)},
        examples=[ORDER_RESPONSE_EXAMPLE],
    )
    def get(self, request, number: str):
        return order_response(request, dealer_order(request, number))

    @extend_schema(
        tags=["orders"],
        summary="Change an order",
        description="Only while the order is draft or submitted; once it is in review or approved, our "
        "order managers change it (409 `order_not_editable`). "
        "Send only the fields to change. `lines` is the whole new list: each line you send again "
        "with the same SKU and options keeps its line (and its price, unless its quantity changes); "
        "a changed or new line is priced again; lines you leave out are removed. "
        "`requested_delivery_date: null` clears it. Guard against lost updates with If-Match (or "
        "`version`): a stale version gets 409 `concurrent_modification`. The timeline records what "
        "changed (`order.updated`).",
        request=OrderUpdateSerializer,
        parameters=[NUMBER_PARAMETER, IF_MATCH_PARAMETER, IDEMPOTENCY_KEY_PARAMETER],
        examples=[
            OpenApiExample(
                "Change quantity and date",
                request_only=True,
                value={
                    "lines": [{"sku": "LED-PANEL-60", "quantity": 60}],
                    "requested_delivery_date": "2026-10-15",
                    "version": 1,
                },
            )
        ],
        responses={200: OrderSerializer, **error_responses(*WRITE, 404, 409, 422)},
    )
    def patch(self, request, number: str):
        return idempotent(
            self, request, scope=self.dealer_scope(), handler=lambda: self._update(request, number)
        )

    def _update(self, request, number: str) -> Response:
        order = dealer_order(request, number, with_lines=False)
        serializer = OrderUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        order_update(
            order_id=order.pk,
            actor=request.user,
            expected_version=expected_version(request, data.get("version")),
            lines=line_requests(data["lines"]) if "lines" in data else None,
            requested_delivery_date=data.get("requested_delivery_date"),
            update_requested_date="requested_delivery_date" in data,
            shipping_address=address_for_service(data.get("shipping_address")),
            shipping_address_id=data.get("shipping_address_id"),
            notes=data.get("notes"),
            external_reference=data.get("external_reference"),
        )
        return order_response(request, dealer_order(request, number))


@extend_schema(
    tags=["orders"],
    summary="Cancel an order",
    description="Allowed until the order is ready to ship (draft, submitted, in review, approved, allocated, "
    "in production, on hold); otherwise 409 `invalid_transition` with the reason. Cancelling an "
    "already cancelled order returns it unchanged.",
    request=OrderCancelSerializer,
    parameters=[NUMBER_PARAMETER, IF_MATCH_PARAMETER, IDEMPOTENCY_KEY_PARAMETER],
    examples=[OpenApiExample("Cancel", request_only=True, value={"reason": "Customer withdrew the order."})],
    responses={200: OrderSerializer, **error_responses(*WRITE, 404, 409, 422)},
)
class OrderCancelApi(DealerApi):
    def post(self, request, number: str):
        return idempotent(
            self, request, scope=self.dealer_scope(), handler=lambda: self._cancel(request, number)
        )

    def _cancel(self, request, number: str) -> Response:
        order = dealer_order(request, number, with_lines=False)
        serializer = OrderCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        order_cancel(
            order_id=order.pk,
            actor=request.user,
            reason=data["reason"],
            expected_version=expected_version(request, data.get("version")),
        )
        return order_response(request, dealer_order(request, number))


@extend_schema(
    tags=["orders"],
    summary="Submit a draft for review",
    description="Submits a draft (one placed with changes requested by our reviewers, or a rejected order "
    "reopened) and opens its review at once: the order comes back `approved` when no review rule asks for "
    "an approval, else `in_review` with `review.waiting_for`. A submitted order has its review opened now. "
    "Any later status: 409 `invalid_transition`.",
    request=OrderSubmitSerializer,
    parameters=[NUMBER_PARAMETER, IF_MATCH_PARAMETER, IDEMPOTENCY_KEY_PARAMETER],
    examples=[OpenApiExample("Submit the version read", request_only=True, value={"version": 4})],
    responses={200: OrderSerializer, **error_responses(*WRITE, 404, 409)},
)
class OrderSubmitApi(DealerApi):
    def post(self, request, number: str):
        return idempotent(
            self, request, scope=self.dealer_scope(), handler=lambda: self._submit(request, number)
        )

    def _submit(self, request, number: str) -> Response:
        order = dealer_order(request, number, with_lines=False)
        serializer = OrderSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order_submit(
            order_id=order.pk,
            actor=request.user,
            expected_version=expected_version(request, serializer.validated_data.get("version")),
        )
        return order_response(request, dealer_order(request, number))


@extend_schema(
    tags=["orders"],
    summary="An order's timeline, newest first",
    description="Every event of the order: creation, status changes (from → to, with the reason), edits. "
    "Cursor-paginated.",
    parameters=[NUMBER_PARAMETER],
    responses={200: OrderEventSerializer(many=True), **error_responses(*READ, 404)},
)
class OrderTimelineApi(DealerListApi):
    serializer_class = OrderEventSerializer
    filter_backends: list = []

    model = OrderEvent

    def dealer_queryset(self):
        return order_event_list_for_user(
            user=self.request.user,
            order=dealer_order(self.request, self.kwargs["number"], with_lines=False),
        )
