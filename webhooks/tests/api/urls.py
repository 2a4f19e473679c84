"""The webhook routes mounted as config/api_v1.py mounts them, independent of that file."""

from django.urls import include, path

urlpatterns = [path("api/v1/", include(("webhooks.api.urls", "v1"), namespace="v1"))]
