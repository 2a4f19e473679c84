"""Writes for expected receipts: goods announced ahead (a purchase, a production run), counted by
available-to-promise (inventory.selectors.atp_timeline) until they are received.

Receiving books the units through the ledger (inventory.services.stock_receive, document
"inventory.expectedreceipt", idempotency key "receive") and flags the receipt in the same
transaction. Locks: the receipt row first, then its stock row (inventory.locks order).
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, NotFound, ValidationFailed
from inventory.models import ExpectedReceipt, Product, Warehouse
from inventory.services import MAX_QUANTITY, DocumentRef, stock_receive

DOCUMENT_TYPE = "inventory.expectedreceipt"
RECEIVE_KEY = "receive"


def _locked(receipt_id: int) -> ExpectedReceipt:
    receipt = ExpectedReceipt.objects.select_for_update().filter(pk=receipt_id).first()
    if receipt is None:
        raise NotFound()
    return receipt


def expected_receipt_create(
    *,
    product_id: int,
    warehouse_id: int,
    quantity: int,
    expected_on: dt.date,
    reference: str = "",
    actor=None,
) -> ExpectedReceipt:
    """Announce `quantity` units of a product due into a warehouse on `expected_on`.

    From then on available-to-promise counts them as arriving that day. Moves no stock.
    Raises ValidationFailed (inactive product or warehouse, quantity out of range, a past date).
    """
    errors: dict[str, list[str]] = {}
    if not Product.objects.filter(pk=product_id, is_active=True).exists():
        errors["product"] = [_("Choose an active product.")]
    if not Warehouse.objects.filter(pk=warehouse_id, is_active=True).exists():
        errors["warehouse"] = [_("Choose an active warehouse.")]
    if not 1 <= int(quantity) <= MAX_QUANTITY:
        errors["quantity"] = [_("Enter a quantity between 1 and %(max)d.") % {"max": MAX_QUANTITY}]
    if expected_on < timezone.localdate():
        errors["expected_on"] = [_("The date cannot be in the past.")]
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        return ExpectedReceipt.objects.create(
            product_id=product_id,
            warehouse_id=warehouse_id,
            quantity=int(quantity),
            expected_on=expected_on,
            reference=reference.strip(),
            created_by=actor if getattr(actor, "pk", None) else None,
        )


def expected_receipt_receive(*, receipt_id: int, actor=None) -> ExpectedReceipt:
    """The announced goods arrived: receive them into stock through the ledger and flag the receipt.

    Idempotent: a receipt already received is returned unchanged (the ledger's idempotency key
    backs this up). Side effects: the receipt's `stock.replenished` (inventory.services), which lets
    backorders be retried. Raises NotFound.
    """
    with transaction.atomic():
        receipt = _locked(receipt_id)
        if receipt.received:
            return receipt
        stock_receive(
            product_id=receipt.product_id,
            warehouse_id=receipt.warehouse_id,
            quantity=receipt.quantity,
            actor=actor,
            document=DocumentRef(type=DOCUMENT_TYPE, id=receipt.pk),
            reason=receipt.reference,
            idempotency_key=RECEIVE_KEY,
        )
        receipt.received, receipt.received_at = True, timezone.now()
        receipt.save(update_fields=["received", "received_at", "updated_at"])
        return receipt


def expected_receipt_update(
    *, receipt_id: int, expected_on: dt.date | None = None, quantity: int | None = None
) -> ExpectedReceipt:
    """Move an announced receipt to another date, or change how many units it brings (a production
    run rescheduled or split). None leaves a value as it is.

    Raises NotFound, Conflict (already received), ValidationFailed (a past date, quantity out of range).
    """
    errors: dict[str, list[str]] = {}
    if expected_on is not None and expected_on < timezone.localdate():
        errors["expected_on"] = [_("The date cannot be in the past.")]
    if quantity is not None and not 1 <= int(quantity) <= MAX_QUANTITY:
        errors["quantity"] = [_("Enter a quantity between 1 and %(max)d.") % {"max": MAX_QUANTITY}]
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        receipt = _locked(receipt_id)
        if receipt.received:
            raise Conflict(message=_("This receipt was already received; adjust the stock instead."))
        fields = []
        if expected_on is not None and expected_on != receipt.expected_on:
            receipt.expected_on, fields = expected_on, [*fields, "expected_on"]
        if quantity is not None and int(quantity) != receipt.quantity:
            receipt.quantity, fields = int(quantity), [*fields, "quantity"]
        if fields:
            receipt.save(update_fields=[*fields, "updated_at"])
        return receipt


def expected_receipt_cancel(*, receipt_id: int) -> None:
    """Withdraw an announcement that will not arrive: it is deleted and no longer counted.

    Raises NotFound, Conflict (already received: its units are on the ledger).
    """
    with transaction.atomic():
        receipt = _locked(receipt_id)
        if receipt.received:
            raise Conflict(message=_("This receipt was already received; adjust the stock instead."))
        receipt.delete()
