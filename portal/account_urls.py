"""The signed-in user's own account pages: change the password (ASVS 2.1.5, 2.1.6).

Django's views do the work: the current password is asked for, the new one goes through
AUTH_PASSWORD_VALIDATORS, the session that changed it stays signed in (update_session_auth_hash)
and every other session of the user ends, since it still carries the old password's hash.
"""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

urlpatterns = [
    path(
        "account/password/",
        auth_views.PasswordChangeView.as_view(
            template_name="portal/account/password_change.html",
            success_url=reverse_lazy("portal:password-change-done"),
        ),
        name="password-change",
    ),
    path(
        "account/password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="portal/account/password_change_done.html"),
        name="password-change-done",
    ),
]
