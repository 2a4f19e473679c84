"""A portal URL configuration for core's own tests: core's views wired with stand-in role checks.

Core sits below the apps that decide who is a dealer, so its tests hand the views a check of their
own (membership of a "Token users" group) and stand-ins for the other apps' pages the nav links to.
"""

from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import include, path

from core.portal import views
from core.portal.views import Panel

TOKEN_GROUP = "Token users"


def may_use_tokens(user) -> bool:
    return user.groups.filter(name=TOKEN_GROUP).exists()


def panel_for_panel_group(request):
    if not request.user.groups.filter(name="Panel users").exists():
        return None
    return Panel("portal/orders/_dealer_panel.html", {"recent": [], "counts": []})


def _elsewhere(request, **kwargs):
    return HttpResponse("another app's page")


portal_patterns = [
    path("login/", auth_views.LoginView.as_view(template_name="portal/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.HomeView.as_view(panels=[panel_for_panel_group]), name="home"),
    path("language/", views.LanguageView.as_view(), name="language"),
    path("tokens/", views.ApiTokenListView.as_view(access_check=may_use_tokens), name="token-list"),
    path(
        "tokens/<int:token_id>/revoke/",
        views.ApiTokenRevokeView.as_view(access_check=may_use_tokens),
        name="token-revoke",
    ),
    path("orders/", _elsewhere, name="order-list"),
    path("orders/new/", _elsewhere, name="order-create"),
    path("webhooks/", _elsewhere, name="webhook-list"),
]

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("portal/", include((portal_patterns, "portal"), namespace="portal")),
]
