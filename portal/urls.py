"""The portal shell's routes: log in and out, reset a forgotten password, pick a language, notices.

The home page is routed by config/portal_urls.py, which hands it the panels of the apps that know
the user's roles, and includes these patterns and every app's portal/urls.py.
"""

from django.contrib.auth import views as auth_views
from django.urls import path

from portal import notifications, views

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="portal/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password-reset"),
    path("password-reset/sent/", views.PasswordResetDoneView.as_view(), name="password-reset-done"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path("password-reset/done/", views.PasswordResetCompleteView.as_view(), name="password-reset-complete"),
    path("language/", views.LanguageView.as_view(), name="language"),
    path("notifications/", notifications.NotificationListView.as_view(), name="notification-list"),
    path("notifications/read/", notifications.NotificationReadView.as_view(), name="notification-read"),
    path("notifications/unread/", notifications.NotificationUnreadView.as_view(), name="notification-unread"),
]
