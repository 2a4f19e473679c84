"""The baseline: a bare Django view doing the same inserts as placing an order, and nothing else.

No authentication, validation, pricing rules, idempotency or serializers: parse JSON, read the
products, take a number, insert the order, its lines and its two timeline events in one
transaction. The API is measured against this in the same run.
"""

import json
from decimal import Decimal

from django.db import transaction
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from core.services import sequence_next
from inventory.models import Product
from orders.models import Order, OrderEvent, OrderLine

TAX = Decimal("0.13")
CENT = Decimal("0.01")


@csrf_exempt
def bare_order_create(request):
    body = json.loads(request.body)
    products = {p.sku: p for p in Product.objects.filter(sku__in=[line["sku"] for line in body["lines"]])}
    now = timezone.now()
    with transaction.atomic():
        number = f"BARE-{now.year}-{sequence_next(name=f'bare:{now.year}'):07d}"
        lines = []
        for i, line in enumerate(body["lines"], start=1):
            product = products[line["sku"]]
            net = (product.list_price * line["quantity"]).quantize(CENT)
            tax = (net * TAX).quantize(CENT)
            lines.append(
                OrderLine(
                    position=i,
                    product=product,
                    sku=product.sku,
                    description=product.name,
                    quantity=line["quantity"],
                    unit_price=product.list_price,
                    net_amount=net,
                    tax_rate=TAX,
                    tax_amount=tax,
                    line_total=net + tax,
                )
            )
        subtotal = sum(line.net_amount for line in lines)
        tax_total = sum(line.tax_amount for line in lines)
        order = Order.objects.create(
            number=number,
            customer_id=body["customer_id"],
            channel="dealer_api",
            status="submitted",
            subtotal=subtotal,
            tax_total=tax_total,
            total=subtotal + tax_total,
            submitted_at=now,
            created_at=now,
        )
        for line in lines:
            line.order = order
        OrderLine.objects.bulk_create(lines)
        OrderEvent.objects.bulk_create(
            [
                OrderEvent(order=order, kind="order.created", to_status="draft", created_at=now),
                OrderEvent(
                    order=order,
                    kind="order.submitted",
                    from_status="draft",
                    to_status="submitted",
                    created_at=now,
                ),
            ]
        )
    return JsonResponse({"number": order.number, "total": str(order.total)}, status=201)
