"""Query filters for the dealer catalog and order lists (invalid values are 400s in the error envelope)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from inventory.models import Product
from orders.models import Order
from orders.states import OrderStatus


class ProductFilter(django_filters.FilterSet):
    category = django_filters.CharFilter(field_name="category__code", help_text=_("Category code."))
    series = django_filters.CharFilter(field_name="series", help_text=_("Model / series, exact."))
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=100,
        help_text=_("Text found in the SKU, name, series or description (case-insensitive)."),
    )

    class Meta:
        model = Product
        fields = ["category", "series", "search"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(
            Q(sku__icontains=value)
            | Q(name__icontains=value)
            | Q(series__icontains=value)
            | Q(description__icontains=value)
        )


class OrderFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=OrderStatus.choices, help_text=_("One or more statuses (repeat the parameter).")
    )
    created = django_filters.DateFromToRangeFilter(
        field_name="created_at", help_text=_("created_after / created_before: YYYY-MM-DD, inclusive.")
    )
    requested = django_filters.DateFromToRangeFilter(
        field_name="requested_delivery_date",
        help_text=_("requested_after / requested_before: requested delivery date range, inclusive."),
    )
    number = django_filters.CharFilter(field_name="number", max_length=32)
    external_reference = django_filters.CharFilter(field_name="external_reference", max_length=80)

    class Meta:
        model = Order
        fields = ["status", "created", "requested", "number", "external_reference"]
