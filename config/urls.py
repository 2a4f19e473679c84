from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's init script as a file (?script): the CSP allows no inline script.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/docs.html"),
        name="api-docs",
    ),
    path("api/v1/", include(("config.api_v1", "v1"), namespace="v1")),
    path("portal/", include(("config.portal_urls", "portal"), namespace="portal")),
    path("", RedirectView.as_view(pattern_name="portal:home", permanent=False)),
]

# Under /api/ these answer in the API's error envelope; elsewhere they are Django's pages.
handler400 = "restapi.exceptions.bad_request"
handler403 = "restapi.exceptions.permission_denied"
handler404 = "restapi.exceptions.page_not_found"
handler500 = "restapi.exceptions.server_error"
