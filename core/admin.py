from django.contrib import admin
from django.utils.translation import gettext_lazy

from core.admin_mixins import ReadOnlyAdminMixin
from core.models import OutboxEvent, Sequence

admin.site.site_header = gettext_lazy("OMS order management")
admin.site.site_title = gettext_lazy("OMS admin")
admin.site.index_title = gettext_lazy("Orders, stock, customers and money")


@admin.register(Sequence)
class SequenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "value")
    search_fields = ("name",)


class OutboxStateFilter(admin.SimpleListFilter):
    title = gettext_lazy("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("pending", gettext_lazy("Pending")),
            ("failing", gettext_lazy("Pending, with failures")),
            ("dispatched", gettext_lazy("Dispatched")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(dispatched_at__isnull=True)
        if self.value() == "failing":
            return queryset.filter(dispatched_at__isnull=True, attempts__gt=0)
        if self.value() == "dispatched":
            return queryset.filter(dispatched_at__isnull=False)
        return queryset


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Domain events on their way to their listeners: operators see what is pending or failing.

    The relay sweep retries pending events on its own (core.outbox); nothing here changes them.
    """

    list_display = (
        "name",
        "aggregate_type",
        "aggregate_id",
        "occurred_at",
        "dispatched_at",
        "attempts",
        "next_attempt_at",
    )
    list_filter = (OutboxStateFilter, "aggregate_type")
    search_fields = ("name", "aggregate_id")
    date_hierarchy = "occurred_at"
    ordering = ("-occurred_at",)
    fields = (
        "id",
        "name",
        "aggregate_type",
        "aggregate_id",
        "payload",
        "occurred_at",
        "dispatched_at",
        "attempts",
        "next_attempt_at",
        "last_error",
    )
