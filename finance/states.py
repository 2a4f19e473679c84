"""The invoice lifecycle: the status enum, the one table of allowed moves, the permission each move
needs and the timeline kinds, declared as `LIFECYCLE` for the engine (core.lifecycle)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.lifecycle import Lifecycle


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    PARTIALLY_PAID = "partially_paid", _("Partially paid")
    PAID = "paid", _("Paid")
    OVERDUE = "overdue", _("Overdue")
    VOID = "void", _("Void")


class InvoiceEventKind(models.TextChoices):
    """What an invoice's timeline entry records; a status change's kind is also its domain event's name."""

    CREATED = "invoice.created", pgettext_lazy("timeline", "Created")
    ISSUED = "invoice.issued", _("Issued")
    PAYMENT_RECORDED = "invoice.payment_recorded", _("Payment recorded")
    PARTIALLY_PAID = "invoice.partially_paid", _("Partially paid")
    PAID = "invoice.paid", _("Paid")
    OVERDUE = "invoice.overdue", _("Marked overdue")
    VOID = "invoice.void", _("Voided")
    # Collections: not status changes (a dispute pauses reminders whatever the payment status is).
    DISPUTED = "invoice.disputed", _("Disputed")
    DISPUTE_RESOLVED = "invoice.dispute_resolved", _("Dispute resolved")
    REMINDER_SENT = "invoice.reminder_sent", _("Payment reminder sent")


INV = InvoiceStatus
ALLOWED = {
    INV.DRAFT: {INV.ISSUED, INV.VOID},
    INV.ISSUED: {INV.PARTIALLY_PAID, INV.PAID, INV.OVERDUE, INV.VOID},
    INV.PARTIALLY_PAID: {INV.PAID, INV.OVERDUE},
    INV.OVERDUE: {INV.PARTIALLY_PAID, INV.PAID},
    INV.PAID: set(),
    INV.VOID: set(),
}
# Invoices with a balance still to be paid: they count towards the customer's credit exposure.
OPEN = (INV.ISSUED, INV.PARTIALLY_PAID, INV.OVERDUE)
# Every move is finance staff's (or the system's: payments, the overdue sweep).
TRANSITION_PERMISSION = dict.fromkeys(INV.values, "finance.change_invoice")


def _payload(invoice) -> dict:
    return {
        "invoice_id": invoice.pk,
        "number": invoice.number,
        "customer_id": invoice.customer_id,
        "order_id": invoice.order_id,
    }


LIFECYCLE = Lifecycle(
    document="invoice",
    model="finance.Invoice",
    timeline="finance.InvoiceEvent",
    statuses=InvoiceStatus,
    allowed=ALLOWED,
    permissions=TRANSITION_PERMISSION,
    kinds=InvoiceEventKind,
    # Stamped the first time a status is reached: an overdue invoice paid in part keeps its issue date.
    stamps={INV.ISSUED: "issued_at", INV.PAID: "paid_at", INV.OVERDUE: "overdue_at", INV.VOID: "void_at"},
    payload=_payload,
)
