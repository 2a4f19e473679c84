"""Portal routes (reps and dealers), gathered from each app's portal/urls.py.

Core's views sit below the apps that know who is a dealer or a sales rep, so the role checks and
the home panels are handed to them here, where every app may be imported.
"""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from core.portal import views as core_views
from crm.selectors import is_dealer
from orders.portal import views as order_views

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="portal/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "", core_views.HomeView.as_view(panels=[order_views.rep_panel, order_views.dealer_panel]), name="home"
    ),
    path("language/", core_views.LanguageView.as_view(), name="language"),
    path("tokens/", core_views.ApiTokenListView.as_view(access_check=is_dealer), name="token-list"),
    path(
        "tokens/<int:token_id>/revoke/",
        core_views.ApiTokenRevokeView.as_view(access_check=is_dealer),
        name="token-revoke",
    ),
    path("", include("orders.portal.urls")),
    path("", include("webhooks.portal.urls")),
]
