"""All /api/v1/ routes, gathered from each app's api/urls.py."""

from django.urls import include, path

urlpatterns: list = [
    path("", include("orders.api.urls")),
    path("", include("logistics.api.urls")),
    path("", include("finance.api.urls")),
    path("", include("webhooks.api.urls")),
    path("", include("production.api.urls")),
]
