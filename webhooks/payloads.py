"""The documented, versioned JSON bodies of outbound webhooks (docs/webhooks.md).

Every body is an envelope `{"id", "type", "created_at", "api_version", "data"}`. `data` is a
snapshot of the rows taken when the event is fanned out, so a receiver never has to call back to
learn what changed. Money is a decimal string, times are ISO 8601 in UTC, dates `YYYY-MM-DD`.
Adding a key is a compatible change; removing or renaming one needs a new `api_version`.
"""

import datetime as dt
import json
from decimal import Decimal

from finance.models import Invoice
from logistics.models import Shipment
from orders.models import Order
from orders.selectors import order_event_list
from webhooks.models import WebhookEventType

API_VERSION = "v1"
E = WebhookEventType
ORDER_EVENTS = {
    E.ORDER_APPROVED,
    E.ORDER_REJECTED,
    E.ORDER_CHANGES_REQUESTED,
    E.ORDER_ALLOCATED,
    E.ORDER_BACKORDERED,
    E.ORDER_SHIPPED,
    E.ORDER_DELIVERED,
    E.ORDER_CANCELLED,
}
INVOICE_EVENTS = {E.INVOICE_ISSUED, E.INVOICE_OVERDUE}
SHIPMENT_EVENTS = {E.SHIPMENT_TRACKING_UPDATED}
# What production tells about a built line: its estimate moved, or it runs late (orders.services.production,
# production.services.delays). The event's own values are passed on as given: the snapshot may have moved.
PRODUCTION_EVENTS = {E.ORDER_ETA_CHANGED, E.PRODUCTION_DELAYED}
# Events whose reason (given by staff on the transition) is passed on to the dealer.
REASONED_ORDER_EVENTS = {E.ORDER_REJECTED, E.ORDER_CHANGES_REQUESTED, E.ORDER_CANCELLED}
ORDER_STAMPS = (
    "submitted_at",
    "approved_at",
    "allocated_at",
    "shipped_at",
    "delivered_at",
    "completed_at",
    "rejected_at",
    "cancelled_at",
)


def _time(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _order_data(order: Order) -> dict:
    return {
        "id": order.pk,
        "number": order.number,
        "status": order.status,
        "customer_code": order.customer.code,
        "external_reference": order.external_reference,
        "currency": order.currency,
        "subtotal": _money(order.subtotal),
        "discount_total": _money(order.discount_total),
        "tax_total": _money(order.tax_total),
        "shipping_fee": _money(order.shipping_fee),
        "total": _money(order.total),
        "requested_delivery_date": _date(order.requested_delivery_date),
        "promised_delivery_date": _date(order.promised_delivery_date),
        "created_at": _time(order.created_at),
        "updated_at": _time(order.updated_at),
        **{stamp: _time(getattr(order, stamp)) for stamp in ORDER_STAMPS},
        "lines": [
            {
                "position": line.position,
                "sku": line.sku,
                "description": line.description,
                "quantity": line.quantity,
                "quantity_allocated": line.quantity_allocated,
                "quantity_shipped": line.quantity_shipped,
                "unit_price": _money(line.unit_price),
                "line_total": _money(line.line_total),
            }
            for line in order.lines.all()
        ],
    }


def _order_event(event_type: str, payload: dict) -> dict | None:
    order = (
        Order.objects.select_related("customer")
        .prefetch_related("lines")
        .filter(pk=payload.get("order_id"))
        .first()
    )
    if order is None:
        return None
    data = {"order": _order_data(order)}
    if event_type in REASONED_ORDER_EVENTS:
        # The timeline entry of that decision (its kind is the event's name), the latest if repeated.
        data["reason"] = (
            order_event_list(order=order).filter(kind=event_type).values_list("note", flat=True).first() or ""
        )
    if event_type == E.ORDER_BACKORDERED:
        # The shortfall is announced by inventory allocation; pass it on as it was given.
        data["backordered_lines"] = payload.get("lines") or []
    return data


def _production_event(event_type: str, payload: dict) -> dict | None:
    order = (
        Order.objects.select_related("customer")
        .prefetch_related("lines")
        .filter(pk=payload.get("order_id"))
        .first()
    )
    if order is None:
        return None
    line = next((line for line in order.lines.all() if line.pk == payload.get("line_id")), None)
    data = {
        "order": _order_data(order),
        "line": None
        if line is None
        else {
            "position": line.position,
            "sku": line.sku,
            "description": line.description,
            "quantity": line.quantity,
            "production": line.production,
        },
    }
    if event_type == E.ORDER_ETA_CHANGED:
        data["eta_change"] = {
            "eta": payload.get("eta"),
            "previous_eta": payload.get("previous_eta"),
            "promised_date": payload.get("promised_date"),
        }
    else:
        data["delay"] = {
            "reason": payload.get("reason"),
            "work_order": payload.get("number"),
            "stage": payload.get("stage") or "",
            "eta": payload.get("eta"),
            "promised_date": payload.get("promised_date"),
        }
    return data


def _invoice_event(payload: dict) -> dict | None:
    invoice = Invoice.objects.select_related("order").filter(pk=payload.get("invoice_id")).first()
    if invoice is None:
        return None
    return {
        "invoice": {
            "id": invoice.pk,
            "number": invoice.number,
            "status": invoice.status,
            "order_id": invoice.order_id,
            "order_number": invoice.order.number,
            "currency": invoice.currency,
            "subtotal": _money(invoice.subtotal),
            "discount_total": _money(invoice.discount_total),
            "tax_total": _money(invoice.tax_total),
            "shipping_fee": _money(invoice.shipping_fee),
            "total": _money(invoice.total),
            "amount_paid": _money(invoice.amount_paid),
            "balance": _money(invoice.balance),
            "issued_at": _time(invoice.issued_at),
            "due_date": _date(invoice.due_date),
            "paid_at": _time(invoice.paid_at),
        }
    }


def _shipment_event(payload: dict) -> dict | None:
    shipment = (
        Shipment.objects.select_related("order", "carrier")
        .prefetch_related("lines__order_line")
        .filter(pk=payload.get("shipment_id"))
        .first()
    )
    if shipment is None:
        return None
    carrier = shipment.carrier
    tracking_url = None
    if carrier and carrier.tracking_url_template and shipment.tracking_number:
        tracking_url = carrier.tracking_url_template.replace("{number}", shipment.tracking_number)
    latest = shipment.tracking_events.order_by("-occurred_at", "-id").first()
    return {
        "shipment": {
            "id": shipment.pk,
            "number": shipment.number,
            "status": shipment.status,
            "order_id": shipment.order_id,
            "order_number": shipment.order.number,
            "carrier": {"code": carrier.code, "name": carrier.name} if carrier else None,
            "tracking_number": shipment.tracking_number,
            "tracking_url": tracking_url,
            "shipped_at": _time(shipment.shipped_at),
            "estimated_delivery_date": _date(shipment.estimated_delivery_date),
            "delivered_at": _time(shipment.delivered_at),
            "latest_event": None
            if latest is None
            else {
                "occurred_at": _time(latest.occurred_at),
                "status": latest.status,
                "location": latest.location,
                "description": latest.description,
            },
            "lines": [
                {
                    "sku": line.order_line.sku,
                    "description": line.order_line.description,
                    "quantity": line.quantity,
                }
                for line in shipment.lines.all()
            ],
        }
    }


def build_data(*, event_type: str, payload: dict) -> dict | None:
    """The `data` of an event, read from the current rows; None when the row no longer exists."""
    if event_type in ORDER_EVENTS:
        return _order_event(event_type, payload)
    if event_type in INVOICE_EVENTS:
        return _invoice_event(payload)
    if event_type in SHIPMENT_EVENTS:
        return _shipment_event(payload)
    if event_type in PRODUCTION_EVENTS:
        return _production_event(event_type, payload)
    return None


def envelope(*, event_id: str, event_type: str, created_at: dt.datetime, data: dict) -> dict:
    return {
        "id": str(event_id),
        "type": event_type,
        "created_at": _time(created_at),
        "api_version": API_VERSION,
        "data": data,
    }


def encode(body: dict) -> bytes:
    """The exact bytes sent and signed. Sorted keys keep them identical on every attempt."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
