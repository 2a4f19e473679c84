"""The production scheduler's admin: plants (lines, calendar), families (categories, routing), and work
orders, planned and changed only through production's services (STYLE.md §1, §3).

Plants and families are master data, edited here directly. A work order is read-only: it is made by
the add form (make to stock) or from an approved order, and changed by the buttons on its page —
cancel, move to another line, re-sequence, split — each a small form calling one service; refusals
come back as messages (core.admin_mixins). Its status is never edited.
"""

from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin_mixins import (
    DomainErrorAdminMixin,
    PartOfParentInline,
    ServiceAddViewMixin,
    TimelineInline,
    form_add_domain_error,
)
from core.errors import DomainError
from inventory.models import Product
from production import admin_devices  # noqa: F401  (registers the shop-floor device admins)
from production.admin_materials import materials_urls
from production.admin_progress import progress_urls
from production.admin_schedule import WorkOrderScheduleAdminMixin
from production.models import (
    FamilyCategory,
    Plant,
    PlantDay,
    ProductFamily,
    ProductionLine,
    RoutingStage,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderLoad,
    WorkOrderMaterial,
    WorkOrderStage,
)
from production.services import scheduling
from production.states import OPEN, WorkOrderStatus
from production.timeline import event_sentences

WRITE = "production.change_workorder"

# --- plants and families (master data) -----------------------------------------------------------


class ProductionLineInline(admin.TabularInline):
    model = ProductionLine
    fields = ("code", "name", "family", "units_per_day", "is_active")
    extra = 0


class PlantDayInline(admin.TabularInline):
    model = PlantDay
    fields = ("date", "is_working", "name")
    extra = 0
    ordering = ("-date",)


@admin.register(Plant)
class PlantAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "region", "warehouse", "working_weekdays", "hours_per_day", "is_active")
    list_filter = ("is_active", "region")
    search_fields = ("code", "name", "region")
    list_select_related = ("warehouse",)
    filter_horizontal = ("supervisors",)
    inlines = (ProductionLineInline, PlantDayInline)


class FamilyCategoryInline(admin.TabularInline):
    model = FamilyCategory
    fields = ("category",)
    extra = 0


class RoutingStageInline(admin.TabularInline):
    model = RoutingStage
    fields = ("position", "code", "name", "standard_days")
    extra = 0
    ordering = ("position",)


@admin.register(ProductFamily)
class ProductFamilyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "tracking", "is_active")
    list_filter = ("is_active", "tracking")
    search_fields = ("code", "name")
    inlines = (FamilyCategoryInline, RoutingStageInline)


# --- work orders ------------------------------------------------------------------------------------


class WorkOrderStageInline(PartOfParentInline):
    model = WorkOrderStage
    fields = (
        "position",
        "name",
        "standard_days",
        "status",
        "planned_start",
        "planned_finish",
        "started_at",
        "finished_at",
    )
    readonly_fields = fields
    ordering = ("position",)


class WorkOrderMaterialInline(PartOfParentInline):
    model = WorkOrderMaterial
    fields = ("component", "quantity", "reserved", "consumed", "lot_numbers")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("component")


class WorkOrderLoadInline(PartOfParentInline):
    model = WorkOrderLoad
    fields = ("day", "line", "units")
    readonly_fields = fields
    ordering = ("day",)
    verbose_name_plural = gettext_lazy("capacity bookings")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("line__plant")


class WorkOrderEventInline(TimelineInline):
    model = WorkOrderEvent
    fields = ("created_at", "kind_label", "from_status", "to_status", "actor", "note", "details")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("details"))
    def details(self, event) -> str:
        return " ".join(event_sentences(event))


class DelayedFilter(admin.SimpleListFilter):
    title = gettext_lazy("delayed")
    parameter_name = "delayed"

    def lookups(self, request, model_admin):
        return (("yes", _("Yes")), ("no", _("No")))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(delayed_since__isnull=False)
        if self.value() == "no":
            return queryset.filter(delayed_since__isnull=True)
        return queryset


class WorkOrderCreateForm(forms.Form):
    """A make-to-stock work order; scheduled by production.services.scheduling.work_order_create."""

    product = forms.ModelChoiceField(
        label=capfirst(gettext_lazy("product")),
        queryset=Product.objects.filter(is_active=True, category__production_family__isnull=False).order_by(
            "sku"
        ),
        help_text=gettext_lazy("Products of the categories a product family is built from."),
    )
    quantity = forms.IntegerField(
        label=capfirst(gettext_lazy("quantity")), min_value=1, max_value=scheduling.MAX_WORK_ORDER_QUANTITY
    )
    plant = forms.ModelChoiceField(
        label=capfirst(gettext_lazy("plant")),
        queryset=Plant.objects.filter(is_active=True).order_by("code"),
        required=False,
        help_text=gettext_lazy("Leave empty to take the plant that finishes first."),
    )
    earliest = forms.DateField(
        label=gettext_lazy("Not before"),
        required=False,
        widget=AdminDateWidget,
        help_text=gettext_lazy("The first day the work order may be booked (default: today)."),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )


class MoveForm(forms.Form):
    line = forms.ModelChoiceField(
        label=capfirst(gettext_lazy("production line")), queryset=ProductionLine.objects.none()
    )

    def __init__(self, *args, work_order: WorkOrder, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].queryset = (
            ProductionLine.objects.filter(
                family__category_links__category__products=work_order.product_id,
                is_active=True,
                plant__is_active=True,
            )
            .exclude(pk=work_order.line_id)
            .select_related("plant")
            .order_by("plant__code", "code")
        )


class ResequenceForm(forms.Form):
    position = forms.IntegerField(
        label=gettext_lazy("Position in the line's queue"),
        min_value=1,
        help_text=gettext_lazy("1 = built first. The work orders behind it move back."),
    )


class SplitForm(forms.Form):
    quantity = forms.IntegerField(
        label=gettext_lazy("Units to split off"),
        min_value=1,
        help_text=gettext_lazy("They become a new work order right behind this one."),
    )


@dataclass(frozen=True)
class WorkOrderAction:
    key: str
    label: str
    form: type[forms.Form]
    service: str  # the name in production.services.scheduling
    field: str  # the form field passed on (besides work_order_id and actor)
    statuses: frozenset = OPEN
    takes_work_order: bool = False

    def run(self, form: forms.Form, *, work_order: WorkOrder, actor):
        value = form.cleaned_data[self.field]
        if self.field == "line":
            value = value.pk
        return getattr(scheduling, self.service)(
            work_order_id=work_order.pk, actor=actor, **{self.key_arg: value}
        )

    @property
    def key_arg(self) -> str:
        return {"line": "line_id"}.get(self.field, self.field)


ACTIONS = (
    WorkOrderAction(
        "move",
        gettext_lazy("Move to line"),
        MoveForm,
        "work_order_move",
        "line",
        frozenset({WorkOrderStatus.PLANNED}),
        takes_work_order=True,
    ),
    WorkOrderAction(
        "resequence", gettext_lazy("Re-sequence"), ResequenceForm, "work_order_resequence", "position"
    ),
    WorkOrderAction(
        "split",
        gettext_lazy("Split"),
        SplitForm,
        "work_order_split",
        "quantity",
        frozenset({WorkOrderStatus.PLANNED}),
    ),
    WorkOrderAction("cancel", gettext_lazy("Cancel"), CancelForm, "work_order_cancel", "reason"),
)
ACTIONS_BY_KEY = {action.key: action for action in ACTIONS}


@admin.register(WorkOrder)
class WorkOrderAdmin(
    WorkOrderScheduleAdminMixin, DomainErrorAdminMixin, ServiceAddViewMixin, admin.ModelAdmin
):
    add_form = WorkOrderCreateForm
    add_fieldsets = ((None, {"fields": ("product", "quantity", "plant", "earliest")}),)
    list_display = (
        "number",
        "kind",
        "order_number",
        "product",
        "plant",
        "line",
        "sequence",
        "quantity",
        "status",
        "stage",
        "progress_percent",
        "planned_start",
        "planned_finish",
        "promised_date",
        "eta",
        "delayed",
        "materials_short",
    )
    list_filter = ("status", "kind", "plant", "line", DelayedFilter, "materials_short")
    search_fields = ("number", "order__number", "order_line__sku", "product__sku")
    list_select_related = ("plant", "line__plant", "order", "product")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    inlines = (WorkOrderStageInline, WorkOrderMaterialInline, WorkOrderLoadInline, WorkOrderEventInline)
    fieldsets = (
        (
            None,
            {"fields": ("number", "kind", "status", "order", "order_line", "product", "options", "quantity")},
        ),
        (
            gettext_lazy("Schedule"),
            {
                "fields": (
                    "plant",
                    "line",
                    "sequence",
                    "earliest_start",
                    "planned_start",
                    "planned_finish",
                    "promised_date",
                    "eta",
                    "delayed_since",
                    "stage",
                    "progress_percent",
                    "materials_short",
                )
            },
        ),
        (
            gettext_lazy("Receipt"),
            {"fields": ("warehouse", "expected_receipt", "split_from")},
        ),
        (
            gettext_lazy("Timestamps"),
            {
                "classes": ("collapse",),
                "fields": ("created_by", "created_at", "started_at", "done_at", "cancelled_at", "version"),
            },
        ),
    )
    readonly_fields = tuple(name for _title, opts in fieldsets for name in opts["fields"])

    # --- display ----------------------------------------------------------------------------------

    @admin.display(description=gettext_lazy("order"), ordering="order__number")
    def order_number(self, obj: WorkOrder) -> str:
        return obj.order.number if obj.order_id else "-"

    @admin.display(description=gettext_lazy("delayed"), boolean=True, ordering="delayed_since")
    def delayed(self, obj: WorkOrder) -> bool:
        return obj.is_delayed

    # --- permissions: read-only document, changed through the services -----------------------------

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def may_write(self, request) -> bool:
        return request.user.has_perm(WRITE)

    # --- writes -----------------------------------------------------------------------------------

    def create_through_service(self, request, form: WorkOrderCreateForm) -> WorkOrder:
        data = form.cleaned_data
        return scheduling.work_order_create(
            product_id=data["product"].pk,
            quantity=data["quantity"],
            plant_id=data["plant"].pk if data.get("plant") else None,
            earliest=data.get("earliest"),
            actor=request.user,
        )

    def response_add(self, request, obj, post_url_continue=None):
        messages.success(
            request,
            _("Work order %(number)s is planned to finish on %(date)s.")
            % {"number": obj.number, "date": obj.promised_date},
        )
        return HttpResponseRedirect(reverse("admin:production_workorder_change", args=[obj.pk]))

    def get_urls(self):
        urls = [
            path(
                "<path:object_id>/action/<slug:key>/",
                self.admin_site.admin_view(self.action_view),
                name="production_workorder_action",
            ),
        ]
        # Pages before the object URLs (which would take "shortages" for an id).
        return self.schedule_urls() + materials_urls(self) + progress_urls(self) + urls + super().get_urls()

    def action_links(self, request, obj: WorkOrder) -> list[dict]:
        """The buttons this user may use on `obj` now (display only: the service is the gate)."""
        links = []
        if obj.status in OPEN and request.user.has_perm("production.progress_workorder"):
            links.append(
                {
                    "key": "progress",
                    "label": _("Record progress"),
                    "url": reverse("admin:production_workorder_progress", args=[obj.pk]),
                }
            )
        if not self.may_write(request):
            return links
        return links + [
            {
                "key": a.key,
                "label": a.label,
                "url": reverse("admin:production_workorder_action", args=[obj.pk, a.key]),
            }
            for a in ACTIONS
            if obj.status in a.statuses
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["work_order_actions"] = self.action_links(request, obj)
        return super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )

    def action_view(self, request, object_id, key):
        """One of the scheduler's buttons: a small form, then its service."""
        action = ACTIONS_BY_KEY.get(key)
        if action is None:
            raise Http404
        work_order = self.get_object(request, unquote(object_id))
        if work_order is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not (self.has_view_permission(request, work_order) and self.may_write(request)):
            raise PermissionDenied
        change_url = reverse("admin:production_workorder_change", args=[work_order.pk])
        kwargs = {"work_order": work_order} if action.takes_work_order else {}
        form = action.form(request.POST if request.method == "POST" else None, **kwargs)
        if request.method == "POST" and form.is_valid():
            try:
                result = action.run(form, work_order=work_order, actor=request.user)
            except DomainError as exc:
                form_add_domain_error(form, exc)
                self.message_domain_error(request, exc, subject=work_order.number)
            else:
                messages.success(request, self._done_message(action, work_order, result))
                target = result if action.key == "split" else work_order
                return HttpResponseRedirect(reverse("admin:production_workorder_change", args=[target.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("%(action)s work order %(number)s")
            % {"action": action.label, "number": work_order.number},
            "opts": self.opts,
            "original": work_order,
            "action": action,
            "form": form,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/production/workorder/action.html", context)

    def _done_message(self, action: WorkOrderAction, work_order: WorkOrder, result: WorkOrder) -> str:
        if action.key == "split":
            return _("Work order %(new)s was split off %(number)s.") % {
                "new": result.number,
                "number": work_order.number,
            }
        if action.key == "cancel":
            return _("Work order %(number)s is cancelled.") % {"number": work_order.number}
        return _("Work order %(number)s is now planned from %(start)s to %(finish)s.") % {
            "number": result.number,
            "start": _when(result.planned_start),
            "finish": _when(result.planned_finish),
        }


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT") if moment else "-"
