"""Reads for finance. Visibility lives here: a dealer reaches invoices only through *_for_dealer."""

from django.db.models import QuerySet

from core.errors import NotFound
from crm.selectors import customer_list_for_user
from finance.models import Invoice
from finance.states import InvoiceStatus


def invoice_list_for_dealer(*, user) -> QuerySet[Invoice]:
    """Invoices of the customers `user` acts for, once issued (drafts are internal)."""
    return (
        Invoice.objects.filter(customer__in=customer_list_for_user(user=user).values("pk"))
        .exclude(status=InvoiceStatus.DRAFT)
        .select_related("order", "customer")
    )


def invoice_get_for_dealer(*, user, number: str) -> Invoice:
    """One of the dealer's invoices by number; NotFound for any other (another dealer's included)."""
    invoice = invoice_list_for_dealer(user=user).filter(number=number).first()
    if invoice is None:
        raise NotFound()
    return invoice
