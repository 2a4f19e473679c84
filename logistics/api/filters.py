import django_filters
from django.utils.translation import gettext_lazy as _

from logistics.models import Shipment
from logistics.states import ShipmentStatus


class ShipmentFilter(django_filters.FilterSet):
    order = django_filters.CharFilter(
        field_name="order__number", max_length=32, help_text=_("Order number: that order's shipments.")
    )
    status = django_filters.MultipleChoiceFilter(
        choices=ShipmentStatus.choices, help_text=_("One or more statuses (repeat the parameter).")
    )
    tracking_number = django_filters.CharFilter(field_name="tracking_number", max_length=64)

    class Meta:
        model = Shipment
        fields = ["order", "status", "tracking_number"]
