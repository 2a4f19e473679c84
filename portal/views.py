"""The portal shell's own pages: the home dashboard, the language picker, the password reset and the
sign-in lockout page."""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.timesince import timeuntil
from django.views.generic import TemplateView

from crm.services import user_sign_in_unlock


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


def lockout_response(request, original_response=None, credentials=None):
    """What a locked-out sign-in gets (settings.AXES_LOCKOUT_CALLABLE), on the portal and admin logins.

    The page says neither whether the account exists nor which counter (account or address) tripped.
    """
    cool_off = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60) if cool_off else None
    return render(
        request,
        "portal/lockout.html",
        {"cooloff_minutes": minutes},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


def reset_link_lifetime() -> str:
    """How long a reset link works (settings.PASSWORD_RESET_TIMEOUT), in words: "1 hour"."""
    now = timezone.now()
    return timeuntil(now + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT), now)


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link by e-mail. Known or not, every address gets the same answer and page."""

    template_name = "portal/registration/password_reset_form.html"
    email_template_name = "portal/registration/password_reset_email.txt"
    subject_template_name = "portal/registration/password_reset_subject.txt"
    success_url = reverse_lazy("portal:password-reset-done")

    @property
    def extra_email_context(self):
        return {"valid_for": reset_link_lifetime()}


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "portal/registration/password_reset_done.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "valid_for": reset_link_lifetime()}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Set a new password from the e-mailed link; a link that was used or has expired is refused.

    A successful reset also lifts a sign-in lockout of the account: whoever can read the account's
    mailbox has proved more than a password would.
    """

    template_name = "portal/registration/password_reset_confirm.html"
    success_url = reverse_lazy("portal:password-reset-complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        user_sign_in_unlock(username=form.user.get_username())
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "portal/registration/password_reset_complete.html"
