from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.template.response import TemplateResponse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin_mixins import DomainErrorAdminMixin, ReadOnlyAdminMixin, ServiceAddViewMixin
from restapi import services
from restapi.forms import expires_at_for, expiry_field
from restapi.models import ApiToken, IdempotencyKey
from restapi.selectors import api_token_user_may_use_api


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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expires_in"] = expiry_field()

    def clean_user(self):
        user = self.cleaned_data["user"]
        if not api_token_user_may_use_api(user=user):
            raise forms.ValidationError(
                _(
                    "%(user)s acts for no active customer, so the dealer API would refuse every "
                    "request made with this token. Link the user to a dealer customer first."
                )
                % {"user": user}
            )
        return user


@admin.register(ApiToken)
class ApiTokenAdmin(DomainErrorAdminMixin, ServiceAddViewMixin, admin.ModelAdmin):
    """Tokens are created and revoked by restapi.services; the digest never leaves the database.

    A new key is shown once, on a page nobody caches — never in a message, which would carry it in
    the (signed, not encrypted) messages cookie.
    """

    add_form = ApiTokenCreateForm
    add_fieldsets = ((None, {"fields": ("user", "name", "expires_in")}),)

    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "valid_until", "token_status")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter), "created_at", "expires_at")
    search_fields = ("prefix", "name", "user__username", "user__email")
    list_select_related = ("user",)
    actions = ["revoke"]

    @admin.display(description=gettext_lazy("status"))
    def token_status(self, obj: ApiToken) -> str:
        return obj.get_status_display()

    @admin.display(description=gettext_lazy("valid until"))
    def valid_until(self, obj: ApiToken):
        return obj.valid_until or _("until revoked")

    def has_delete_permission(self, request, obj=None):
        # A token is revoked, never deleted: its prefix stays traceable in logs.
        return False

    def get_fields(self, request, obj=None):
        return (
            "user",
            "name",
            "prefix",
            "token_status",
            "created_at",
            "created_by",
            "expires_at",
            "valid_until",
            "last_used_at",
            "revoked_at",
        )

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def create_through_service(self, request, form: ApiTokenCreateForm) -> ApiToken:
        token, key = services.api_token_create(
            user=form.cleaned_data["user"],
            name=form.cleaned_data["name"],
            created_by=request.user,
            expires_at=expires_at_for(form.cleaned_data["expires_in"]),
        )
        # For response_add, this request only.
        request._api_token_key = key
        return token

    def response_add(self, request, obj, post_url_continue=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("API key"),
            "token": obj,
            "key": request._api_token_key,
        }
        response = TemplateResponse(request, "admin/restapi/apitoken/created.html", context)
        # The plain key is in this page only; keep it out of every cache.
        response["Cache-Control"] = "no-store"
        return response

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
