"""The portal shell's own pages: the home dashboard and the language picker."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import TemplateView


@dataclass
class Panel:
    """One section of the home page, contributed by an app that knows the user's role there."""

    template: str
    context: dict = field(default_factory=dict)


class HomeView(LoginRequiredMixin, TemplateView):
    """The dashboard: one panel per role the user has; staff also get a link to the admin.

    `panels` are callables `(request) -> Panel | None` handed in by config/portal_urls.py, so the
    shell stays below the apps that decide roles.
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
