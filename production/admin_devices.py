"""Shop-floor terminals in the admin: made through device_create (the token shown once, on the next
page), revoked through device_revoke; the reports they sent, read-only. production/admin.py imports
this module so the registrations below take effect."""

from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin_mixins import DomainErrorAdminMixin, ReadOnlyAdminMixin, ServiceAddViewMixin
from production.models import Plant, ShopFloorDevice, ShopFloorEvent
from production.services import devices


class DeviceCreateForm(forms.Form):
    plant = forms.ModelChoiceField(
        label=capfirst(gettext_lazy("plant")), queryset=Plant.objects.filter(is_active=True).order_by("code")
    )
    name = forms.CharField(
        label=capfirst(gettext_lazy("name")),
        max_length=80,
        help_text=gettext_lazy("Where the terminal stands, e.g. “Line 2 paint booth”."),
    )


@admin.register(ShopFloorDevice)
class ShopFloorDeviceAdmin(DomainErrorAdminMixin, ServiceAddViewMixin, admin.ModelAdmin):
    """A new token is shown once, on a page nobody caches — never in a message (the messages cookie
    is signed, not encrypted). Only its digest is stored."""

    add_form = DeviceCreateForm
    add_fieldsets = ((None, {"fields": ("plant", "name")}),)
    list_display = ("name", "plant", "token_prefix", "is_active", "created_at", "last_seen_at")
    list_filter = ("is_active", "plant")
    search_fields = ("name", "token_prefix", "plant__code", "plant__name")
    list_select_related = ("plant",)
    fields = ("plant", "name", "token_prefix", "is_active", "created_at", "created_by", "last_seen_at")
    readonly_fields = fields
    actions = ["revoke"]

    def has_delete_permission(self, request, obj=None):
        # A device is revoked, never deleted: its reports keep pointing at it.
        return False

    def create_through_service(self, request, form: DeviceCreateForm) -> ShopFloorDevice:
        device, token = devices.device_create(
            plant_id=form.cleaned_data["plant"].pk, name=form.cleaned_data["name"], actor=request.user
        )
        request._device_token = token
        return device

    def response_add(self, request, obj, post_url_continue=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Device token"),
            "device": obj,
            "token": request._device_token,
        }
        response = TemplateResponse(request, "admin/production/shopfloordevice/created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=gettext_lazy("Revoke selected devices"), permissions=["change"])
    def revoke(self, request, queryset):
        self.call_service_each(
            request,
            queryset,
            devices.device_revoke,
            id_kwarg="device_id",
            label=_("Revoke"),
            subject_field="name",
        )


@admin.register(ShopFloorEvent)
class ShopFloorEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("event_id", "device", "work_order", "stage_code", "action", "occurred_at", "received_at")
    list_filter = ("action", "device__plant")
    search_fields = ("event_id", "work_order__number", "device__name")
    list_select_related = ("device__plant", "work_order")
    date_hierarchy = "received_at"
