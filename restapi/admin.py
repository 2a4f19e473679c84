from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin_mixins import DomainErrorAdminMixin, ReadOnlyAdminMixin, ServiceAddViewMixin
from restapi import services
from restapi.models import ApiToken, IdempotencyKey


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("scope", "key", "response_status", "created_at")
    list_filter = ("response_status", "created_at")
    search_fields = ("scope", "key")
    date_hierarchy = "created_at"


class ApiTokenCreateForm(forms.Form):
    user = forms.ModelChoiceField(
        label=capfirst(gettext_lazy("user")), queryset=get_user_model().objects.order_by("username")
    )
    name = forms.CharField(
        label=capfirst(gettext_lazy("name")),
        max_length=100,
        required=False,
        help_text=gettext_lazy("What the key is for, e.g. the dealer's ERP."),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(DomainErrorAdminMixin, ServiceAddViewMixin, admin.ModelAdmin):
    """Tokens are created and revoked by restapi.services; the digest never leaves the database."""

    add_form = ApiTokenCreateForm
    add_fieldsets = ((None, {"fields": ("user", "name")}),)

    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "revoked_at", "active")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("prefix", "name", "user__username", "user__email")
    list_select_related = ("user",)
    actions = ["revoke"]

    @admin.display(description=gettext_lazy("active"), boolean=True)
    def active(self, obj: ApiToken) -> bool:
        return obj.is_active

    def has_delete_permission(self, request, obj=None):
        # A token is revoked, never deleted: its prefix stays traceable in logs.
        return False

    def get_fields(self, request, obj=None):
        return ("user", "name", "prefix", "created_at", "created_by", "last_used_at", "revoked_at")

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def create_through_service(self, request, form: ApiTokenCreateForm) -> ApiToken:
        token, key = services.api_token_create(
            user=form.cleaned_data["user"], name=form.cleaned_data["name"], created_by=request.user
        )
        messages.success(
            request,
            _("API key for %(user)s: %(key)s — copy it now; it is not stored and will not be shown again.")
            % {"user": token.user, "key": key},
        )
        return token

    @admin.action(description=gettext_lazy("Revoke selected tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        self.call_service_each(
            request,
            queryset,
            services.api_token_revoke,
            id_kwarg="token_id",
            label=_("Revoke"),
            subject_field="prefix",
        )
