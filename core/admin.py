from django.contrib import admin, messages
from django.template import TemplateDoesNotExist
from django.utils import translation
from django.utils.translation import gettext_lazy, ngettext

from core.admin_mixins import ReadOnlyAdminMixin
from core.models import Notification, OutboxEvent, Sequence
from core.notifications import notification_mark_read, notification_render

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


class NotificationReadFilter(admin.SimpleListFilter):
    title = gettext_lazy("read")
    parameter_name = "read"

    def lookups(self, request, model_admin):
        return [("no", gettext_lazy("Unread")), ("yes", gettext_lazy("Read"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(read_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(read_at__isnull=False)
        return queryset


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every staff user's own notices (the header's *Notices* link); superusers see everyone's, with
    the e-mail's delivery state, to trace a mail that did not arrive."""

    list_display = ("subject", "created_at", "read_at", "mail_status")
    list_filter = (NotificationReadFilter, "mail_status", "kind")
    date_hierarchy = "created_at"
    actions = ("mark_read",)
    fields = (
        "kind",
        "subject",
        "body",
        "link",
        "recipient",
        "created_at",
        "read_at",
        "mail_status",
        "mail_attempts",
        "mail_sent_at",
        "mail_error",
    )
    readonly_fields = fields

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        if not (request.user.is_active and request.user.is_staff):
            return False
        return obj is None or request.user.is_superuser or obj.user_id == request.user.pk

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.filter(user_id=request.user.pk)

    def get_list_display(self, request):
        if request.user.is_superuser:
            return ("subject", "recipient", "created_at", "read_at", "mail_status", "mail_attempts")
        return self.list_display

    def _rendered(self, obj):
        try:
            # In the language of the request being rendered (the admin is shared by every request).
            return notification_render(obj, language=translation.get_language())
        except TemplateDoesNotExist:
            # A kind whose templates are gone (an older release's): show what is known, not a 500.
            return None

    @admin.display(description=gettext_lazy("subject"))
    def subject(self, obj):
        rendered = self._rendered(obj)
        return rendered.subject if rendered else obj.kind

    @admin.display(description=gettext_lazy("message"))
    def body(self, obj):
        rendered = self._rendered(obj)
        return rendered.body if rendered else str(obj.context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            notice = self.get_queryset(request).filter(pk=object_id, user_id=request.user.pk).first()
            if notice is not None:
                notification_mark_read(user=request.user, notification_id=notice.pk)
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description=gettext_lazy("Mark selected notices read"), permissions=["view"])
    def mark_read(self, request, queryset):
        count = sum(
            notification_mark_read(user=request.user, notification_id=pk)
            for pk in queryset.filter(user_id=request.user.pk).values_list("pk", flat=True)
        )
        self.message_user(
            request,
            ngettext("%(count)d notice marked read.", "%(count)d notices marked read.", count)
            % {"count": count},
            messages.SUCCESS,
        )
