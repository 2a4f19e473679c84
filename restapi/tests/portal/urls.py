"""The portal shell with the real API token pages, whose access check is a stand-in.

restapi sits below the apps that decide who is a dealer, so its tests hand the views a check of
their own: membership of a "Token users" group.
"""

from django.urls import include, path

from portal.tests.urls import shell_patterns
from restapi.portal.views import ApiTokenListView, ApiTokenRevokeView

TOKEN_GROUP = "Token users"


def may_use_tokens(user) -> bool:
    return user.groups.filter(name=TOKEN_GROUP).exists()


portal_patterns = [
    *shell_patterns,
    path("tokens/", ApiTokenListView.as_view(access_check=may_use_tokens), name="token-list"),
    path(
        "tokens/<int:token_id>/revoke/",
        ApiTokenRevokeView.as_view(access_check=may_use_tokens),
        name="token-revoke",
    ),
]

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("portal/", include((portal_patterns, "portal"), namespace="portal")),
]
