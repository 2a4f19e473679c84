"""Staff screens for webhooks. Thin: every write goes through webhooks.services.

Endpoints are registered, changed, deleted, rotated and re-enabled through the services the
portal and the API use; deliveries are read-only apart from the Replay action. A signing secret
is shown once, on a page that is not cached — never in a message, which the cookie message
storage would keep in the browser.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.admin_mixins import DomainErrorAdminMixin, form_add_domain_error
from core.errors import DomainError
from webhooks import services
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEventType


class WebhookEndpointForm(forms.ModelForm):
    event_types = forms.MultipleChoiceField(
        label=gettext_lazy("event types"),
        choices=WebhookEventType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None ticked means every event."),
    )
    url = forms.CharField(
        label=gettext_lazy("URL"),
        max_length=500,
        help_text=gettext_lazy("https://, to a host with public internet addresses only."),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("customer", "url", "event_types", "is_active")

    def clean(self):
        data = super().clean()
        if "url" in data and "event_types" in data:
            try:
                data["url"], data["event_types"] = services.webhook_endpoint_validate(
                    url=data["url"], event_types=data["event_types"]
                )
            except DomainError as exc:
                form_add_domain_error(self, exc)
        return data


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ("attempted_at", "response_code", "duration_ms", "error")
    readonly_fields = fields
    ordering = ("-attempted_at",)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(DomainErrorAdminMixin, admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = (
        "url",
        "customer",
        "subscribed",
        "is_active",
        "consecutive_failures",
        "disabled_at",
        "deliveries_link",
    )
    list_filter = ("is_active", ("disabled_at", admin.EmptyFieldListFilter))
    search_fields = ("url", "customer__code", "customer__name")
    list_select_related = ("customer",)
    autocomplete_fields = ("customer",)
    actions = ["enable", "rotate_secret"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("customer", "url", "event_types")
        return (
            "customer",
            "url",
            "event_types",
            "is_active",
            "secret_hint",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "created_at",
            "updated_at",
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return (
            "customer",
            "secret_hint",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "created_at",
            "updated_at",
        )

    @admin.display(description=gettext_lazy("events"))
    def subscribed(self, obj: WebhookEndpoint) -> str:
        return ", ".join(obj.event_types) if obj.event_types else _("all")

    @admin.display(description=gettext_lazy("signing secret"))
    def secret_hint(self, obj: WebhookEndpoint) -> str:
        return _("%(start)s… (rotate to see a new one)") % {"start": obj.secret[:10]}

    @admin.display(description=gettext_lazy("deliveries"))
    def deliveries_link(self, obj: WebhookEndpoint) -> str:
        url = reverse("admin:webhooks_webhookdelivery_changelist") + f"?endpoint__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("deliveries"))

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            services.webhook_endpoint_update(
                endpoint_id=obj.pk,
                customer_ids=None,
                url=data["url"],
                event_types=data["event_types"],
                is_active=data["is_active"],
            )
            return
        endpoint = services.webhook_endpoint_create(
            customer=data["customer"], url=data["url"], event_types=data["event_types"], actor=request.user
        )
        # The admin goes on to log and redirect to `obj`: make it the row the service created.
        for field in WebhookEndpoint._meta.concrete_fields:
            setattr(obj, field.attname, getattr(endpoint, field.attname))
        obj._state.adding = False

    def response_add(self, request, obj, post_url_continue=None):
        return self._secret_page(request, [obj], created=True)

    def _secret_page(self, request, endpoints: list[WebhookEndpoint], *, created: bool) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Signing secret"),
            "endpoints": endpoints,
            "created": created,
        }
        response = TemplateResponse(request, "admin/webhooks/secret.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def delete_model(self, request, obj):
        services.webhook_endpoint_delete(endpoint_id=obj.pk, customer_ids=None)

    def delete_queryset(self, request, queryset):
        for endpoint_id in queryset.order_by("pk").values_list("pk", flat=True):
            self.call_service(
                request, services.webhook_endpoint_delete, endpoint_id=endpoint_id, customer_ids=None
            )

    @admin.action(
        description=gettext_lazy("Enable selected endpoints and reset their failures"), permissions=["change"]
    )
    def enable(self, request, queryset):
        enabled = 0
        for endpoint_id, url in queryset.order_by("pk").values_list("pk", "url"):
            ok, _endpoint = self.call_service(
                request, services.webhook_endpoint_enable, subject=url, endpoint_id=endpoint_id
            )
            enabled += ok
        if enabled:
            messages.success(
                request,
                ngettext("%(count)d endpoint enabled.", "%(count)d endpoints enabled.", enabled)
                % {"count": enabled},
            )

    @admin.action(
        description=gettext_lazy("Rotate the signing secret of selected endpoints"), permissions=["change"]
    )
    def rotate_secret(self, request, queryset):
        rotated = []
        for endpoint_id, url in queryset.order_by("pk").values_list("pk", "url"):
            ok, endpoint = self.call_service(
                request,
                services.webhook_endpoint_rotate_secret,
                subject=url,
                endpoint_id=endpoint_id,
                customer_ids=None,
            )
            if ok:
                rotated.append(endpoint)
        if rotated:
            return self._secret_page(request, rotated, created=False)
        return None


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(DomainErrorAdminMixin, admin.ModelAdmin):
    list_display = (
        "event_type",
        "endpoint",
        "customer",
        "status",
        "attempts",
        "last_response_code",
        "created_at",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("status", "event_type", "created_at")
    search_fields = ("=event_id", "endpoint__url", "endpoint__customer__code", "endpoint__customer__name")
    list_select_related = ("endpoint__customer",)
    date_hierarchy = "created_at"
    inlines = [WebhookAttemptInline]
    actions = ["replay"]
    fields = (
        "endpoint",
        "event_type",
        "event_id",
        "status",
        "attempts",
        "next_attempt_at",
        "leased_until",
        "last_response_code",
        "last_error",
        "delivered_at",
        "created_at",
        "updated_at",
        "payload_pretty",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # A delivery page is view-only; the change permission only unlocks the Replay action.
        return obj is None and super().has_change_permission(request)

    @admin.display(description=gettext_lazy("customer"))
    def customer(self, obj: WebhookDelivery):
        return obj.endpoint.customer

    @admin.display(description=gettext_lazy("payload"))
    def payload_pretty(self, obj: WebhookDelivery) -> str:
        return format_html(
            "<pre>{}</pre>", json.dumps(obj.payload, indent=2, ensure_ascii=False, sort_keys=True)
        )

    @admin.action(
        description=gettext_lazy("Replay selected deliveries (same event id)"), permissions=["change"]
    )
    def replay(self, request, queryset):
        replayed = 0
        for delivery_id, event_type in queryset.order_by("pk").values_list("pk", "event_type"):
            ok, _delivery = self.call_service(
                request,
                services.webhook_delivery_replay,
                subject=f"{event_type} #{delivery_id}",
                delivery_id=delivery_id,
                actor=request.user,
            )
            replayed += ok
        if replayed:
            messages.success(
                request,
                ngettext("%(count)d delivery queued again.", "%(count)d deliveries queued again.", replayed)
                % {"count": replayed},
            )
