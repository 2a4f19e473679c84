import django_filters
from django.utils.translation import gettext_lazy as _

from finance.models import Invoice
from finance.states import InvoiceStatus


class InvoiceFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=[c for c in InvoiceStatus.choices if c[0] != InvoiceStatus.DRAFT],
        help_text=_("One or more statuses (repeat the parameter)."),
    )
    order = django_filters.CharFilter(field_name="order__number", max_length=32, help_text=_("Order number."))
    number = django_filters.CharFilter(field_name="number", max_length=32)
    due = django_filters.DateFromToRangeFilter(
        field_name="due_date", help_text=_("due_after / due_before: due date range, inclusive.")
    )

    class Meta:
        model = Invoice
        fields = ["status", "order", "number", "due"]
