"""Disputed invoices: a flag beside the status that stops reminders until finance resolves it.

Not a lifecycle status: a disputed invoice is still issued, partially paid or overdue; payments are
still recorded against it, the overdue sweep still dates it and the ageing still counts it. Only
collections stop: no reminder is sent for it, it does not put the customer on credit hold, and its
balance leaves the customer's overdue figures (crm's credit check) while the dispute lasts.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, ValidationFailed
from finance import locks
from finance.models import Invoice, InvoiceEvent
from finance.services.credit import credit_position_refresh
from finance.states import OPEN, InvoiceEventKind, InvoiceStatus

REASON_MAX = Invoice._meta.get_field("dispute_reason").max_length


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": [_("Give a reason.")]})
    if len(reason) > REASON_MAX:
        raise ValidationFailed(
            fields={"reason": [_("Keep the reason within %(limit)d characters.") % {"limit": REASON_MAX}]}
        )
    return reason


def invoice_dispute(*, invoice_id: int, reason: str, actor=None) -> tuple[Invoice, bool]:
    """Record that the customer disputes an open invoice: reminders stop until the dispute is resolved.

    An invoice already in dispute is returned unchanged (False). Preconditions: the invoice is open
    (issued, partially paid or overdue).
    Side effects: `is_disputed`, `disputed_at`, `dispute_reason`; an `invoice.disputed` timeline entry;
    the customer's credit position (the invoice leaves the overdue figures).
    Raises ValidationFailed without a reason, Conflict `invoice_not_open` (409), NotFound; nothing is
    written then.
    """
    reason = _reason(reason)
    with transaction.atomic():
        invoice = locks.invoice_for_update(invoice_id)
        if invoice.is_disputed:
            return invoice, False
        if invoice.status not in OPEN:
            raise Conflict(
                _("Invoice %(number)s cannot be disputed while it is “%(status)s”.")
                % {"number": invoice.number, "status": InvoiceStatus(invoice.status).label},
                code="invoice_not_open",
                extra={"invoice": invoice.number, "status": invoice.status},
            )
        invoice.is_disputed, invoice.disputed_at, invoice.dispute_reason = True, timezone.now(), reason
        invoice.dispute_resolved_at = None
        invoice.save(
            update_fields=[
                "is_disputed",
                "disputed_at",
                "dispute_reason",
                "dispute_resolved_at",
                "updated_at",
            ]
        )
        InvoiceEvent.record(invoice=invoice, kind=InvoiceEventKind.DISPUTED, actor=actor, note=reason)
        credit_position_refresh(customer_id=invoice.customer_id)
    return invoice, True


def invoice_dispute_resolve(*, invoice_id: int, reason: str, actor=None) -> tuple[Invoice, bool]:
    """Close an invoice's dispute (settled, credited or rejected: `reason` says which); reminders resume
    with the highest level the invoice has reached by then (never the levels it missed meanwhile).

    An invoice not in dispute is returned unchanged (False).
    Side effects: `is_disputed` cleared, `dispute_resolved_at`; an `invoice.dispute_resolved` timeline
    entry; the customer's credit position.
    Raises ValidationFailed without a reason, NotFound; nothing is written then.
    """
    reason = _reason(reason)
    with transaction.atomic():
        invoice = locks.invoice_for_update(invoice_id)
        if not invoice.is_disputed:
            return invoice, False
        invoice.is_disputed, invoice.dispute_resolved_at = False, timezone.now()
        invoice.save(update_fields=["is_disputed", "dispute_resolved_at", "updated_at"])
        InvoiceEvent.record(
            invoice=invoice,
            kind=InvoiceEventKind.DISPUTE_RESOLVED,
            actor=actor,
            note=reason,
            data={"disputed_at": invoice.disputed_at.isoformat(), "dispute_reason": invoice.dispute_reason},
        )
        credit_position_refresh(customer_id=invoice.customer_id)
    return invoice, True
