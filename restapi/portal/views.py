"""The dealer's API token pages in the portal: list (expiry, last use), create (with an expiry; the key
shown once, on a page nobody caches) and revoke."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from core.errors import DomainError
from portal.mixins import PortalAccessMixin, apply_domain_error, domain_error_message
from restapi.forms import expires_at_for, expiry_field
from restapi.selectors import api_token_list_for_user
from restapi.services import api_token_create, api_token_revoke


class ApiTokenCreateForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("Where the key is used, e.g. “ERP production”."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expires_in"] = expiry_field()


class ApiTokenListView(PortalAccessMixin, View):
    no_access_reason = gettext_lazy("API tokens are for dealer accounts.")
    template_name = "portal/tokens/list.html"

    def get(self, request):
        return self.render_list(request, ApiTokenCreateForm())

    def post(self, request):
        form = ApiTokenCreateForm(request.POST)
        if not form.is_valid():
            return self.render_list(request, form, status=400)
        try:
            token, key = api_token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                created_by=request.user,
                expires_at=expires_at_for(form.cleaned_data["expires_in"]),
            )
        except DomainError as exc:
            apply_domain_error(exc, form)
            return self.render_list(request, form, status=400)
        response = render(request, "portal/tokens/created.html", {"token": token, "key": key})
        # The plain key is in this page only; keep it out of every cache.
        response["Cache-Control"] = "no-store"
        return response

    def render_list(self, request, form, status=200):
        # Only the user's own tokens: api_token_revoke enforces the same scope on writes.
        tokens = api_token_list_for_user(user=request.user)
        return render(request, self.template_name, {"tokens": tokens, "form": form}, status=status)


class ApiTokenRevokeView(PortalAccessMixin, View):
    no_access_reason = gettext_lazy("API tokens are for dealer accounts.")
    http_method_names = ["post"]

    def post(self, request, token_id: int):
        try:
            token = api_token_revoke(token_id=token_id, user=request.user)
        except DomainError as exc:
            domain_error_message(request, exc)
        else:
            messages.success(request, _("Token %(prefix)s… was revoked.") % {"prefix": token.prefix})
        return redirect("portal:token-list")
