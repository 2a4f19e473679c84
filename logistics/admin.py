"""Carriers are master data; shipments move only through logistics.services (STYLE.md §3)."""

from django import forms
from django.contrib import admin, messages
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin_mixins import (
    DomainErrorAdminMixin,
    PartOfParentInline,
    ReasonActionForm,
    ServiceAddViewMixin,
    ServiceDocumentAdminMixin,
    TimelineInline,
    action_reason,
    use_autocomplete,
)
from inventory.models import Warehouse
from logistics import services
from logistics.models import Carrier, Shipment, ShipmentEvent, ShipmentLine, TrackingEvent
from logistics.states import ShipmentStatus
from orders.models import Order


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "tracking_url_template", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name")


class _ShipmentPartInline(PartOfParentInline):
    """Lines, scans and timeline belong to the shipment: visible with it, written only by the services."""


class ShipmentLineInline(_ShipmentPartInline):
    model = ShipmentLine
    fields = ("order_line", "quantity")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order_line")


class TrackingEventInline(_ShipmentPartInline):
    model = TrackingEvent
    fields = ("occurred_at", "status", "location", "description")
    readonly_fields = fields


class ShipmentEventInline(TimelineInline):
    model = ShipmentEvent


class ShipmentActionForm(ReasonActionForm):
    tracking_number = forms.CharField(label=gettext_lazy("Tracking number"), required=False, max_length=64)


class ShipmentCreateForm(forms.Form):
    order = forms.ModelChoiceField(
        label=capfirst(gettext_lazy("order")),
        queryset=Order.objects.all(),
        help_text=gettext_lazy("Everything not yet in a shipment is shipped."),
    )
    warehouse = forms.ModelChoiceField(
        label=capfirst(gettext_lazy("warehouse")), queryset=Warehouse.objects.all(), required=False
    )
    carrier = forms.ModelChoiceField(
        label=capfirst(gettext_lazy("carrier")), queryset=Carrier.objects.all(), required=False
    )

    def __init__(self, *args, admin_site: admin.AdminSite, **kwargs):
        super().__init__(*args, **kwargs)
        use_autocomplete(self, "order", Shipment._meta.get_field("order"), admin_site)


@admin.register(Shipment)
class ShipmentAdmin(DomainErrorAdminMixin, ServiceDocumentAdminMixin, ServiceAddViewMixin, admin.ModelAdmin):
    add_form = ShipmentCreateForm
    add_form_takes_admin_site = True
    add_fieldsets = ((None, {"fields": ("order", "warehouse", "carrier")}),)
    action_form = ShipmentActionForm
    actions = ["pack", "dispatch", "deliver", "cancel"]
    list_display = (
        "number",
        "order",
        "status",
        "warehouse",
        "carrier",
        "tracking_number",
        "shipped_at",
        "estimated_delivery_date",
        "delivered_at",
    )
    list_filter = ("status", "carrier", "warehouse", "created_at")
    search_fields = ("number", "tracking_number", "order__number", "order__customer__name")
    list_select_related = ("order", "warehouse", "carrier")
    date_hierarchy = "created_at"
    inlines = (ShipmentLineInline, TrackingEventInline, ShipmentEventInline)

    write_permission = "logistics.change_shipment"

    def create_through_service(self, request, form: ShipmentCreateForm) -> Shipment:
        data = form.cleaned_data
        return services.shipment_create(
            order_id=data["order"].pk,
            warehouse=data["warehouse"],
            carrier=data["carrier"],
            actor=request.user,
        )

    @admin.action(description=gettext_lazy("Mark selected shipments packed"), permissions=["write"])
    def pack(self, request, queryset):
        self.call_service_each(
            request,
            queryset,
            services.shipment_pack,
            id_kwarg="shipment_id",
            already=ShipmentStatus.PACKED,
            label=_("Pack"),
            actor=request.user,
        )

    @admin.action(
        description=gettext_lazy("Dispatch the selected shipment (tracking number)"), permissions=["write"]
    )
    def dispatch(self, request, queryset):
        # One tracking number belongs to one parcel: refuse a bulk dispatch rather than reuse it.
        if queryset.count() != 1:
            messages.error(request, _("Select exactly one shipment to dispatch."))
            return
        tracking_number = (request.POST.get("tracking_number") or "").strip()
        self.call_service_each(
            request,
            queryset,
            services.shipment_dispatch,
            id_kwarg="shipment_id",
            already=ShipmentStatus.IN_TRANSIT,
            label=_("Dispatch"),
            tracking_number=tracking_number,
            actor=request.user,
        )

    @admin.action(description=gettext_lazy("Mark selected shipments delivered"), permissions=["write"])
    def deliver(self, request, queryset):
        self.call_service_each(
            request,
            queryset,
            services.shipment_deliver,
            id_kwarg="shipment_id",
            already=ShipmentStatus.DELIVERED,
            label=_("Deliver"),
            actor=request.user,
        )

    @admin.action(description=gettext_lazy("Cancel selected shipments (reason)"), permissions=["write"])
    def cancel(self, request, queryset):
        reason = action_reason(request, label=_("Cancel"), required=True)
        if reason is not None:
            self.call_service_each(
                request,
                queryset,
                services.shipment_cancel,
                id_kwarg="shipment_id",
                already=ShipmentStatus.CANCELLED,
                label=_("Cancel"),
                reason=reason,
                actor=request.user,
            )
