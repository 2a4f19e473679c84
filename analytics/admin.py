from django.contrib import admin

from analytics.models import DailySales
from core.admin_mixins import ReadOnlyAdminMixin


@admin.register(DailySales)
class DailySalesAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Rebuilt by the analytics sweep; read-only here."""

    list_display = ("day", "channel", "orders", "revenue", "refreshed_at")
    list_filter = ("channel",)
    date_hierarchy = "day"
