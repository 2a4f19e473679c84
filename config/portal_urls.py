"""Portal routes (reps and dealers): the shell's (portal/urls.py) and each app's portal/urls.py.

The shell and the token pages sit below the apps that know who is a dealer or a sales rep, so the
role checks and the home panels are handed to them here, where every app may be imported.
"""

from django.urls import include, path

from crm.selectors import is_dealer
from orders.portal import views as order_views
from portal.panels import low_stock_panel
from portal.views import HomeView
from restapi.portal import views as token_views

urlpatterns = [
    path(
        "",
        HomeView.as_view(panels=[low_stock_panel, order_views.rep_panel, order_views.dealer_panel]),
        name="home",
    ),
    path("", include("portal.urls")),
    path("tokens/", token_views.ApiTokenListView.as_view(access_check=is_dealer), name="token-list"),
    path(
        "tokens/<int:token_id>/revoke/",
        token_views.ApiTokenRevokeView.as_view(access_check=is_dealer),
        name="token-revoke",
    ),
    path("", include("orders.portal.urls")),
    path("", include("webhooks.portal.urls")),
    path("", include("finance.portal.urls")),
    path("", include("production.portal.urls")),
    path("", include("portal.account_urls")),
]
