"""Writes for finance: invoices from issue to payment, overdue and void, with their timeline.

Every status change goes through the lifecycle engine (core.lifecycle, table in finance.states), which
also announces `invoice.<status>` with invoice_id, number, customer_id and order_id. Every service that
changes an open balance or the overdue picture refreshes the customer's credit position
(finance.services.credit) in the same transaction.
"""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, ValidationFailed
from core.lifecycle import transition
from core.money import ZERO, quantize_money
from core.services import sequence_next
from core.sweeps import Sweep
from finance import locks
from finance.models import Invoice, InvoiceEvent, Payment
from finance.services.credit import credit_position_refresh
from finance.states import LIFECYCLE, OPEN, InvoiceEventKind, InvoiceStatus
from orders.states import OrderStatus

INV = InvoiceStatus
S = OrderStatus
INVOICEABLE_ORDER_STATUSES = (S.PARTIALLY_SHIPPED, S.SHIPPED, S.DELIVERED, S.COMPLETED)


def _invoice_number(now: dt.datetime) -> str:
    year = timezone.localtime(now).year
    return f"INV-{year}-{sequence_next(name=f'invoice:{year}'):06d}"


def invoice_issue(*, order_id: int, actor=None) -> Invoice:
    """Issue the invoice of a shipped order: amounts copied from the order, due after the customer's terms.

    Preconditions: the order is partially shipped, shipped, delivered or completed and has no
    invoice yet (a void one does not count). One invoice per order for now.
    Side effects: the invoice (`invoice.created`, `invoice.issued` timeline events), the customer's
    credit exposure; `invoice.issued` announced on commit.
    Raises Conflict `order_not_invoiceable` / `order_already_invoiced` (409); nothing is written then.
    """
    with transaction.atomic():
        # The order lock serialises two issuers of the same order (the unique constraint is the backstop).
        order = locks.order_for_update(order_id)
        if order.status not in INVOICEABLE_ORDER_STATUSES:
            raise Conflict(
                _("Order %(number)s cannot be invoiced while it is “%(status)s”.")
                % {"number": order.number, "status": S(order.status).label},
                code="order_not_invoiceable",
                extra={"order": order.number, "status": order.status},
            )
        existing = Invoice.objects.filter(order_id=order.pk).exclude(status=INV.VOID).first()
        if existing is not None:
            raise Conflict(
                _("Order %(order)s is already invoiced (%(invoice)s).")
                % {"order": order.number, "invoice": existing.number},
                code="order_already_invoiced",
                extra={"order": order.number, "invoice": existing.number},
            )
        now = timezone.now()
        terms = order.customer.payment_terms_days
        invoice = Invoice.objects.create(
            number=_invoice_number(now),
            order=order,
            customer_id=order.customer_id,
            currency=order.currency,
            subtotal=order.subtotal,
            discount_total=order.discount_total,
            tax_total=order.tax_total,
            shipping_fee=order.shipping_fee,
            total=order.total,
            created_at=now,
            due_date=timezone.localdate(now) + dt.timedelta(days=terms),
        )
        InvoiceEvent.record(
            invoice=invoice,
            kind=InvoiceEventKind.CREATED,
            actor=actor,
            to_status=INV.DRAFT,
            data={"order": order.number, "total": str(order.total), "payment_terms_days": terms},
        )
        invoice, _changed = transition(LIFECYCLE, invoice.pk, INV.ISSUED, actor=actor)
        if invoice.total == ZERO:
            invoice, _changed = transition(
                LIFECYCLE, invoice.pk, INV.PAID, actor=actor, reason=_("Nothing to pay.")
            )
        credit_position_refresh(customer_id=invoice.customer_id)
    return invoice


def payment_record(
    *, invoice_id: int, amount: Decimal, received_on: dt.date, reference: str = "", actor=None
) -> Payment:
    """Record money received against an invoice.

    `amount` is rounded half-up to the cent first (33.335 → 33.34); it must then be above zero and
    at most the open balance. Preconditions: the invoice is issued, partially paid or overdue;
    `received_on` is not in the future.
    Side effects: the payment row, `amount_paid` moved with F() under the invoice lock, an
    `invoice.payment_recorded` event, the move to partially paid or paid (an overdue invoice stays
    overdue until paid in full), the customer's credit exposure.
    Raises ValidationFailed (400), Conflict `invoice_not_payable` (409); nothing is written then.
    """
    try:
        amount = quantize_money(amount)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationFailed(fields={"amount": [_("Enter an amount.")]})
    reference = (reference or "").strip()
    errors: dict[str, list[str]] = {}
    if amount <= ZERO:
        errors["amount"] = [_("The amount must be at least 0.01.")]
    if not isinstance(received_on, dt.date) or received_on > timezone.localdate():
        errors["received_on"] = [_("Enter a date that is not in the future.")]
    if len(reference) > Payment._meta.get_field("reference").max_length:
        errors["reference"] = [_("This reference is too long.")]
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        invoice = locks.invoice_for_update(invoice_id)
        if invoice.status not in OPEN:
            raise Conflict(
                _("Invoice %(number)s cannot take payments while it is “%(status)s”.")
                % {"number": invoice.number, "status": INV(invoice.status).label},
                code="invoice_not_payable",
                extra={"invoice": invoice.number, "status": invoice.status},
            )
        if amount > invoice.balance:
            raise ValidationFailed(
                fields={"amount": [_("The open balance is only %(balance)s.") % {"balance": invoice.balance}]}
            )
        Invoice.objects.filter(pk=invoice.pk).update(
            amount_paid=F("amount_paid") + amount, updated_at=timezone.now()
        )
        invoice.refresh_from_db(fields=["amount_paid"])
        payment = Payment.objects.create(
            invoice=invoice, amount=amount, received_on=received_on, reference=reference
        )
        InvoiceEvent.record(
            invoice=invoice,
            kind=InvoiceEventKind.PAYMENT_RECORDED,
            actor=actor,
            data={
                "payment_id": payment.pk,
                "amount": str(amount),
                "received_on": received_on.isoformat(),
                "reference": reference,
            },
        )
        if invoice.balance == ZERO:
            transition(LIFECYCLE, invoice.pk, INV.PAID, actor=actor)
        elif invoice.status == INV.ISSUED:
            transition(LIFECYCLE, invoice.pk, INV.PARTIALLY_PAID, actor=actor)
        credit_position_refresh(customer_id=invoice.customer_id)
    return payment


def _overdue_refusal(invoice: Invoice, today: dt.date) -> Conflict | None:
    if not LIFECYCLE.allows(invoice, INV.OVERDUE):
        return LIFECYCLE.refusal(invoice, INV.OVERDUE)
    if invoice.due_date is None or invoice.due_date >= today:
        return Conflict(
            _("Invoice %(number)s is not due yet.") % {"number": invoice.number},
            code="invoice_not_due",
            extra={"invoice": invoice.number},
        )
    return None


def invoice_mark_overdue(*, invoice_id: int, today: dt.date | None = None, actor=None) -> Invoice:
    """Mark an issued or partially paid invoice overdue once its due date has passed.

    An invoice already overdue is returned unchanged. Side effects: `invoice.overdue` (timeline and
    domain event), the customer's credit position (overdue balance and age).
    Raises InvalidTransition / Conflict `invoice_not_due` (409).
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        invoice = locks.invoice_for_update(invoice_id)
        if invoice.status == INV.OVERDUE:
            return invoice
        refusal = _overdue_refusal(invoice, today)
        if refusal is not None:
            raise refusal
        invoice, _changed = transition(
            LIFECYCLE, invoice.pk, INV.OVERDUE, actor=actor, data={"due_date": invoice.due_date.isoformat()}
        )
        credit_position_refresh(customer_id=invoice.customer_id)
    return invoice


def invoice_mark_overdue_due(*, batch: int = 200, today: dt.date | None = None) -> Sweep:
    """Sweep: mark overdue up to `batch` issued or partially paid invoices whose due date has passed.

    Each invoice is marked in its own transaction and re-checked under its lock, so one paid
    meanwhile is skipped. Every invoice looked at leaves the selection (marked, or no longer open
    or due), so no cursor is needed: a full batch means rows may remain.
    """
    today = today or timezone.localdate()
    ids = list(
        Invoice.objects.filter(status__in=(INV.ISSUED, INV.PARTIALLY_PAID), due_date__lt=today)
        .order_by("due_date", "pk")
        .values_list("pk", flat=True)[:batch]
    )
    for invoice_id in ids:
        with transaction.atomic():
            invoice = locks.invoice_for_update(invoice_id)
            if _overdue_refusal(invoice, today) is None:
                transition(
                    LIFECYCLE, invoice.pk, INV.OVERDUE, data={"due_date": invoice.due_date.isoformat()}
                )
                credit_position_refresh(customer_id=invoice.customer_id)
    return Sweep(handled=len(ids), more=len(ids) >= batch)


def invoice_void(*, invoice_id: int, reason: str, actor=None) -> Invoice:
    """Void an invoice nothing has been paid on (draft or issued); the order can be invoiced again.

    Side effects: `invoice.void` (timeline and domain event), the customer's credit exposure.
    Raises ValidationFailed without a reason, InvalidTransition (409) once paid into.
    """
    if not (reason or "").strip():
        raise ValidationFailed(fields={"reason": [_("Give a reason.")]})
    with transaction.atomic():
        invoice, changed = transition(LIFECYCLE, invoice_id, INV.VOID, actor=actor, reason=reason.strip())
        if changed:
            credit_position_refresh(customer_id=invoice.customer_id)
    return invoice
