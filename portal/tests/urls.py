"""A portal URL configuration for the shell's own tests: its views wired with stand-in panels.

The shell sits below the apps that decide who is a dealer, so its tests hand the home page a panel
of their own (membership of a "Panel users" group) and stand-ins for the other apps' pages the nav
links to.
"""

from django.http import HttpResponse
from django.urls import include, path

from portal.views import HomeView, Panel


def panel_for_panel_group(request):
    if not request.user.groups.filter(name="Panel users").exists():
        return None
    return Panel("portal/orders/_dealer_panel.html", {"recent": [], "counts": []})


def _elsewhere(request, **kwargs):
    return HttpResponse("another app's page")


# The shell and stand-ins for the business apps' pages; the API token pages are added below (or by
# restapi's tests, which wire the real ones).
shell_patterns = [
    path("", HomeView.as_view(panels=[panel_for_panel_group]), name="home"),
    path("", include("portal.urls")),
    path("", include("portal.account_urls")),
    path("orders/", _elsewhere, name="order-list"),
    path("orders/new/", _elsewhere, name="order-create"),
    path("webhooks/", _elsewhere, name="webhook-list"),
]

portal_patterns = [
    *shell_patterns,
    path("tokens/", _elsewhere, name="token-list"),
    path("tokens/<int:token_id>/revoke/", _elsewhere, name="token-revoke"),
]

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("portal/", include((portal_patterns, "portal"), namespace="portal")),
]
