"""The portal shell's routes: log in and out, pick a language.

The home page is routed by config/portal_urls.py, which hands it the panels of the apps that know
the user's roles, and includes these patterns and every app's portal/urls.py.
"""

from django.contrib.auth import views as auth_views
from django.urls import path

from portal import views

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="portal/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", views.LanguageView.as_view(), name="language"),
]
