"""Portal pages that belong to no business app: the home dashboard, language and API tokens."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from core.errors import DomainError
from core.portal.mixins import PortalAccessMixin, domain_error_message
from core.selectors import api_token_list_for_user
from core.services import api_token_create, api_token_revoke


@dataclass
class Panel:
    """One section of the home page, contributed by an app that knows the user's role there."""

    template: str
    context: dict = field(default_factory=dict)


class HomeView(LoginRequiredMixin, TemplateView):
    """The dashboard: one panel per role the user has; staff also get a link to the admin.

    `panels` are callables `(request) -> Panel | None` handed in by config/portal_urls.py, so core
    stays below the apps that decide roles.
    """

    template_name = "portal/home.html"
    panels: Sequence[Callable] = ()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        shown = [panel for panel in (build(self.request) for build in self.panels) if panel is not None]
        context["panels"] = shown
        context["show_admin_link"] = self.request.user.is_staff
        context["no_role"] = not shown and not self.request.user.is_staff
        return context


class LanguageView(LoginRequiredMixin, TemplateView):
    """A page to pick the interface language; the nav switcher posts to the same `set_language`."""

    template_name = "portal/language.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        back = self.request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(
            back, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        ):
            back = ""
        context["next"] = back or reverse("portal:home")
        context["languages"] = settings.LANGUAGES
        return context


class ApiTokenCreateForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("Where the key is used, e.g. “ERP production”."),
    )


class ApiTokenListView(PortalAccessMixin, View):
    no_access_reason = gettext_lazy("API tokens are for dealer accounts.")
    template_name = "portal/tokens/list.html"

    def get(self, request):
        return self.render_list(request, ApiTokenCreateForm())

    def post(self, request):
        form = ApiTokenCreateForm(request.POST)
        if not form.is_valid():
            return self.render_list(request, form, status=400)
        token, key = api_token_create(
            user=request.user, name=form.cleaned_data["name"], created_by=request.user
        )
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
