"""The admin with WorkOrderAdmin's materials pages wired in, as production/admin.py does once merged:
a copy of the site, so these tests do not depend on that wiring."""

from django.contrib import admin
from django.urls import path

from config import urls as project_urls
from production.admin_materials import materials_urls
from production.models import WorkOrder

site = admin.AdminSite(name="admin")


class WiredWorkOrderAdmin(type(admin.site._registry[WorkOrder])):
    def get_urls(self):
        return [*materials_urls(self), *super().get_urls()]


for model, model_admin in admin.site._registry.items():
    site.register(model, WiredWorkOrderAdmin if model is WorkOrder else type(model_admin))

# First, so its "admin" namespace is the one reversed; the rest of the site (portal, API) after it.
urlpatterns = [path("admin/", site.urls), *project_urls.urlpatterns]
