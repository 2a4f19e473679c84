"""URLs for the admin tests of progress and devices: the project's admin with the "record progress"
page wired into the WorkOrder admin and the device admins registered, as production/admin.py does
at merge."""

from django.contrib import admin
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns
from production.admin_devices import ShopFloorDeviceAdmin, ShopFloorEventAdmin
from production.admin_progress import progress_urls
from production.models import ShopFloorDevice, ShopFloorEvent, WorkOrder

site = admin.AdminSite(name="admin")
for model, model_admin in admin.site._registry.items():
    site.register(model, type(model_admin))
base = type(admin.site._registry[WorkOrder])


class WorkOrderAdmin(base):
    def get_urls(self):
        return progress_urls(self) + super().get_urls()


site.unregister(WorkOrder)
site.register(WorkOrder, WorkOrderAdmin)
for model, model_admin in ((ShopFloorDevice, ShopFloorDeviceAdmin), (ShopFloorEvent, ShopFloorEventAdmin)):
    if site.is_registered(model):
        site.unregister(model)
    site.register(model, model_admin)

urlpatterns = [path("admin/", site.urls)] + [p for p in project_urlpatterns if str(p.pattern) != "admin/"]
