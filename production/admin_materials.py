"""Materials and traceability in the admin: bills of materials, the shortage list (purchasing, with a
CSV export), the trace page, and the batches and serial numbers finished builds produced.

The shortage and trace pages hang under the work orders: production/admin.py adds
`materials_urls(self)` to WorkOrderAdmin.get_urls (before the object URLs):
/admin/production/workorder/shortages/ and /admin/production/workorder/trace/?q=<serial|batch|order>.
"""

import csv
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin_mixins import ReadOnlyAdminMixin
from production.models import BomLine, Plant, ProductionBatch, SerialNumber
from production.selectors.materials import shortage_list
from production.selectors.trace import trace_search
from production.services.materials import materials_refresh_shortages


@admin.register(BomLine)
class BomLineAdmin(admin.ModelAdmin):
    list_display = ("product", "option_value", "component", "quantity")
    list_filter = (("option_value", admin.EmptyFieldListFilter), "product__category")
    search_fields = ("product__sku", "product__name", "component__sku", "component__name")
    list_select_related = ("product", "component", "option_value__option")
    autocomplete_fields = ("product", "component")
    raw_id_fields = ("option_value",)
    ordering = ("product__sku", "option_value_id", "component__sku")


def trace_url(query: str) -> str:
    return f"{reverse('admin:production_workorder_trace')}?{urlencode({'q': query})}"


@admin.register(ProductionBatch)
class ProductionBatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("number", "product", "quantity", "plant", "work_order", "produced_at", "trace_link")
    list_filter = ("plant", "produced_at")
    search_fields = ("number", "work_order__number", "product__sku", "serials__serial")
    list_select_related = ("product", "plant", "work_order")
    date_hierarchy = "produced_at"

    @admin.display(description=gettext_lazy("trace"))
    def trace_link(self, obj: ProductionBatch):
        return format_html('<a href="{}">{}</a>', trace_url(obj.number), _("Trace"))


@admin.register(SerialNumber)
class SerialNumberAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("serial", "batch", "order_line", "trace_link")
    search_fields = ("serial", "batch__number", "order_line__order__number")
    list_select_related = ("batch", "order_line")

    @admin.display(description=gettext_lazy("trace"))
    def trace_link(self, obj: SerialNumber):
        return format_html('<a href="{}">{}</a>', trace_url(obj.serial), _("Trace"))


class _Pages:
    """The shortage list and the trace page of a WorkOrderAdmin."""

    def __init__(self, model_admin):
        self.model_admin = model_admin

    def _context(self, request, title: str) -> dict:
        return {
            **self.model_admin.admin_site.each_context(request),
            "opts": self.model_admin.opts,
            "title": title,
        }

    def _plant_id(self, request) -> int | None:
        value = request.GET.get("plant") or request.POST.get("plant") or ""
        return int(value) if value.isdigit() else None

    def _may_refresh(self, request) -> bool:
        # The work order admin itself is read-only (its changes are actions): ask for the permission.
        return request.user.has_perm("production.change_workorder")

    def shortages(self, request):
        """The purchasing list; POST (change permission) re-flags the work orders first."""
        if not self.model_admin.has_view_or_change_permission(request):
            raise PermissionDenied
        plant_id = self._plant_id(request)
        if request.method == "POST":
            if not self._may_refresh(request):
                raise PermissionDenied
            flagged = materials_refresh_shortages(plant_id=plant_id)
            messages.success(
                request,
                _("Shortages checked: %(count)d planned work orders are short of components.")
                % {"count": flagged},
            )
            suffix = f"?plant={plant_id}" if plant_id else ""
            return HttpResponseRedirect(reverse("admin:production_workorder_shortages") + suffix)
        rows = shortage_list(plant_id=plant_id)
        if request.GET.get("format") == "csv":
            return self._csv(rows)
        context = {
            **self._context(request, _("Component shortages")),
            "rows": rows,
            "plants": Plant.objects.order_by("code"),
            "plant_id": plant_id,
            "can_refresh": self._may_refresh(request),
        }
        return TemplateResponse(request, "admin/production/shortages.html", context)

    def _csv(self, rows) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="component-shortages.csv"'
        writer = csv.writer(response)
        writer.writerow(
            [
                _("Component SKU"),
                _("Component"),
                _("Plant"),
                _("Quantity short"),
                _("Date needed"),
                _("Work orders"),
            ]
        )
        for row in rows:
            writer.writerow(
                [
                    row["component"].sku,
                    row["component"].name,
                    row["plant"].code,
                    row["quantity_short"],
                    row["date_needed"].isoformat() if row["date_needed"] else "",
                    " ".join(work_order["number"] for work_order in row["work_orders"]),
                ]
            )
        return response

    def trace(self, request):
        """Search a serial, batch or order number; show its trace both ways."""
        if not self.model_admin.has_view_or_change_permission(request):
            raise PermissionDenied
        query = request.GET.get("q", "").strip()
        context = {
            **self._context(request, _("Trace a build")),
            "query": query,
            "result": trace_search(query) if query else None,
        }
        return TemplateResponse(request, "admin/production/trace.html", context)


def materials_urls(model_admin) -> list:
    """The shortage list and trace pages of WorkOrderAdmin (put before its object URLs)."""
    pages = _Pages(model_admin)
    site = model_admin.admin_site
    return [
        path("shortages/", site.admin_view(pages.shortages), name="production_workorder_shortages"),
        path("trace/", site.admin_view(pages.trace), name="production_workorder_trace"),
    ]
