"""Writes for crm. Customer master data is edited in the admin; this module holds the summaries
that higher apps keep current on the customer (STYLE.md §2: summaries are written down)."""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import NotFound, ValidationFailed
from core.money import quantize_money
from crm.models import Customer


def customer_set_credit_exposure(*, customer_id: int, amount: Decimal) -> None:
    """Store a customer's open credit exposure (the sum of open invoice balances, computed by finance).

    Finance holds the customer's row lock while it sums the balances and calls this, so two
    payments for the same customer cannot overwrite each other with stale sums.
    Raises ValidationFailed for a negative amount, NotFound for an unknown customer.
    """
    amount = quantize_money(amount)
    if amount < 0:
        raise ValidationFailed(fields={"credit_exposure": [_("The exposure cannot be negative.")]})
    with transaction.atomic():
        if not Customer.objects.filter(pk=customer_id).update(credit_exposure=amount):
            raise NotFound()
