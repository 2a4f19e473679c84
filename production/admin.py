"""Plants are master data; work orders are planned and progressed by production's services, shown here."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin_mixins import ReadOnlyAdminMixin
from production.models import Plant, WorkOrder


@admin.register(Plant)
class PlantAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "region", "warehouse", "is_active")
    search_fields = ("code", "name", "region")


@admin.register(WorkOrder)
class WorkOrderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "number",
        "order_number",
        "plant",
        "quantity",
        "status",
        "stage",
        "progress_percent",
        "eta",
        "started_at",
        "done_at",
    )
    list_filter = ("status", "plant", "eta")
    search_fields = ("number", "order_line__order__number", "order_line__sku")
    list_select_related = ("plant", "order_line__order")
    date_hierarchy = "created_at"

    @admin.display(description=_("order"), ordering="order_line__order__number")
    def order_number(self, obj: WorkOrder) -> str:
        return obj.order_line.order.number
