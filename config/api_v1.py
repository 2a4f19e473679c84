"""All /api/v1/ routes, gathered from each app's api/urls.py."""

urlpatterns: list = []
