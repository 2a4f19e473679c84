"""The portal shell's own pages: the home dashboard, the language picker, the password reset and the
sign-in lockout page."""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from axes.helpers import get_client_ip_address, get_cool_off
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import TemplateView

from crm.services import (
    PasswordChangedVia,
    password_reset_link_lifetime,
    user_password_change_announce,
    user_password_reset_request,
    user_sign_in_unlock,
)


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


def link_target(request) -> dict:
    """Where links in a mail sent later for this request point, and in which language it is written."""
    return {
        "domain": get_current_site(request).domain,
        "protocol": "https" if request.is_secure() else "http",
        "language": translation.get_language(),
    }


def announce_password_change(request, user, via: PasswordChangedVia) -> None:
    """After a password was saved: the user gets a notice, by mail from a worker (ASVS 2.5.5)."""
    user_password_change_announce(
        user_id=user.pk, via=via, client_address=get_client_ip_address(request), **link_target(request)
    )


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link by e-mail. Known or not, every address gets the same answer and page.

    The request only records the wish (crm.services.user_password_reset_request); a worker builds
    the link and sends the mail, so the response time says nothing about the address or the SMTP
    server. Too many requests from one client address, or mails to one account, are dropped silently.
    """

    template_name = "portal/registration/password_reset_form.html"
    success_url = reverse_lazy("portal:password-reset-done")

    def form_valid(self, form):
        user_password_reset_request(
            email=form.cleaned_data["email"],
            client_address=get_client_ip_address(self.request),
            **link_target(self.request),
        )
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "portal/registration/password_reset_done.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "valid_for": password_reset_link_lifetime()}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Set a new password from the e-mailed link; a link that was used or has expired is refused.

    A successful reset also lifts a sign-in lockout of the account: whoever can read the account's
    mailbox has proved more than a password would. The user is told of the change by mail.
    """

    template_name = "portal/registration/password_reset_confirm.html"
    success_url = reverse_lazy("portal:password-reset-complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        user_sign_in_unlock(username=form.user.get_username())
        announce_password_change(self.request, form.user, PasswordChangedVia.RESET)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "portal/registration/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    """The signed-in user changes their password (portal/account_urls.py); they are told by mail."""

    template_name = "portal/account/password_change.html"
    success_url = reverse_lazy("portal:password-change-done")

    def form_valid(self, form):
        response = super().form_valid(form)
        announce_password_change(self.request, form.user, PasswordChangedVia.ACCOUNT)
        return response
