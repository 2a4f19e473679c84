"""Review in the admin (issue #9): review rules (conditions written as data, checked field by field),
the approvals an order needs and got (a read-only block on the order page and the review screen), and
the list of approvals waiting, filtered to the ones a user may decide.

Thin: rules are saved through orders.services.review_rule_save; decisions go through the order's
approve / reject / request-changes buttons (orders/admin.py), which call the review services.
"""

import json

from django import forms
from django.contrib import admin
from django.db.models import Q
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin_mixins import DomainErrorAdminMixin, form_add_domain_error
from core.errors import ValidationFailed
from orders.models import ApprovalStatus, Order, OrderApproval, ReviewRule
from orders.review import FIELDS, OPERATORS, condition_text, review_evaluate, review_state
from orders.services import review_rule_save, review_rule_validate
from orders.states import OrderStatus

S = OrderStatus
A = ApprovalStatus
FIELD = "review_steps"
# The order page's section for it: OrderAdmin lists FIELD among its read-only fields and appends this.
FIELDSET = (gettext_lazy("Review"), {"fields": (FIELD,)})
# How many recent orders a rule is tried on when it is shown (a preview for its author, not a report).
PREVIEW_ORDERS = 500


def _step_rows(steps) -> str:
    rows = [
        (
            step.level,
            step.role_label or "–",
            step.rule_name or _("no rule matched"),
            step.get_status_display(),
            step.decided_by.get_username()
            if step.decided_by_id
            else ("" if step.status == A.PENDING else "–"),
            date_format(localtime(step.decided_at), "SHORT_DATETIME_FORMAT") if step.decided_at else "",
            step.order_version or "",
            step.comment,
        )
        for step in steps
    ]
    return format_html(
        '<table class="review-steps"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th>'
        "<th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
        _("level"),
        _("approval by"),
        _("rule"),
        _("decision"),
        _("by"),
        _("when"),
        _("version seen"),
        _("comment"),
        format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            rows,
        ),
    )


def review_display(order: Order):
    """The current round's steps (who, when, decision, comment, version seen) and a line on earlier rounds."""
    state = review_state(order.approvals.select_related("decided_by"))
    if state is None:
        return _("Not reviewed yet: the rules are checked when the order is submitted.")
    head = _("Round %(round)d.") % {"round": state.round}
    if state.waiting:
        head += " " + _("Waiting for level %(level)d: %(roles)s.") % {
            "level": state.waiting_level,
            "roles": ", ".join(
                sorted({step.role_label for step in state.waiting if step.level == state.waiting_level})
            ),
        }
    earlier = ""
    if state.earlier:
        earlier = format_html(
            "<p>{}</p>",
            _("Earlier rounds: %(n)d decisions (see the timeline).") % {"n": len(state.earlier)},
        )
    return format_html("<p>{}</p>{}{}", head, _step_rows(state.steps), earlier)


class OrderReviewAdminMixin:
    """Gives OrderAdmin the read-only `review_steps` block (shown in FIELDSET)."""

    @admin.display(description=gettext_lazy("approvals"))
    def review_steps(self, obj: Order):
        return review_display(obj)


# --- review rules ------------------------------------------------------------------------------------


def _fields_help() -> str:
    rows = [
        (name, field.label, ", ".join(field.operators), field.help, ", ".join(field.choice_values()))
        for name, field in FIELDS.items()
    ]
    return format_html(
        "<table><thead><tr><th>field</th><th>{}</th><th>op</th><th>{}</th><th>{}</th></tr></thead>"
        "<tbody>{}</tbody></table><p>{}</p>",
        _("meaning"),
        _("what it is"),
        _("values"),
        format_html_join(
            "", "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows
        ),
        "; ".join(f"{op}: {label}" for op, label in OPERATORS.items()),
    )


class ReviewRuleForm(forms.ModelForm):
    condition = forms.JSONField(
        label=gettext_lazy("condition"),
        initial={"all": []},
        widget=forms.Textarea(attrs={"rows": 10, "cols": 80, "class": "vLargeTextField"}),
        help_text=gettext_lazy(
            'A group {"all": [ … ]} (every test holds) or {"any": [ … ]} (one holds), of tests '
            '{"field": "order_total", "op": "gt", "value": 1000000} and further groups. {"all": []} matches '
            "every order. The fields and operators are listed below."
        ),
    )

    class Meta:
        model = ReviewRule
        fields = ("name", "description", "is_active", "condition", "role", "level", "sort_order")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        for name in self._meta.fields:
            if name in data:
                setattr(self.instance, name, data[name])
        try:
            review_rule_validate(rule=self.instance)
        except ValidationFailed as invalid:
            form_add_domain_error(self, invalid)
        return data


@admin.register(ReviewRule)
class ReviewRuleAdmin(DomainErrorAdminMixin, admin.ModelAdmin):
    form = ReviewRuleForm
    list_display = ("name", "level", "role", "condition_words", "is_active", "sort_order")
    list_filter = ("is_active", "level", "role")
    search_fields = ("name", "description")
    list_select_related = ("role",)
    readonly_fields = ("condition_words", "matches_now", "fields_help", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "description", "is_active")}),
        (gettext_lazy("Condition"), {"fields": ("condition", "condition_words", "matches_now")}),
        (gettext_lazy("Approval required"), {"fields": ("role", "level", "sort_order")}),
        (gettext_lazy("Fields and operators"), {"classes": ("collapse",), "fields": ("fields_help",)}),
        (gettext_lazy("Timestamps"), {"classes": ("collapse",), "fields": ("created_at", "updated_at")}),
    )

    @admin.display(description=gettext_lazy("condition in words"))
    def condition_words(self, obj: ReviewRule):
        return condition_text(obj.condition) if obj and obj.condition else "-"

    @admin.display(description=gettext_lazy("matches now"))
    def matches_now(self, obj: ReviewRule):
        """How many recent orders the saved rule matches (a preview for whoever writes it)."""
        if obj is None or obj.pk is None:
            return "-"
        ids = list(
            Order.objects.exclude(status__in=(S.DRAFT, S.CANCELLED))
            .order_by("-pk")
            .values_list("pk", flat=True)[:PREVIEW_ORDERS]
        )
        matched = [pk for pk, rules in review_evaluate(order_ids=ids, rules=[obj]).items() if rules]
        examples = list(Order.objects.filter(pk__in=matched[:5]).order_by("-pk").values_list("pk", "number"))
        links = format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            ((reverse("admin:orders_order_change", args=[pk]), n) for pk, n in examples),
        )
        return format_html(
            "{} {}",
            _("%(matched)d of the last %(orders)d orders (drafts and cancelled ones aside).")
            % {"matched": len(matched), "orders": len(ids)},
            links,
        )

    @admin.display(description=gettext_lazy("fields"))
    def fields_help(self, obj):
        return _fields_help()

    def save_model(self, request, obj, form, change):
        review_rule_save(rule=obj)

    def get_changeform_initial_data(self, request):
        return {"condition": json.dumps({"all": []}), **super().get_changeform_initial_data(request)}


# --- approvals waiting --------------------------------------------------------------------------------


class MineFilter(admin.SimpleListFilter):
    title = gettext_lazy("to decide")
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return (("1", _("Waiting for my groups")),)

    def queryset(self, request, queryset):
        if self.value() != "1":
            return queryset
        waiting = queryset.filter(status=A.PENDING, order__status=S.IN_REVIEW)
        if request.user.is_superuser:
            return waiting
        return waiting.filter(role__in=request.user.groups.all()).exclude(order__created_by=request.user)


@admin.register(OrderApproval)
class OrderApprovalAdmin(admin.ModelAdmin):
    """Read-only: approvals are given on the order (its review screen), through the review services."""

    list_display = (
        "order_link",
        "round",
        "level",
        "role_name",
        "rule_name",
        "status",
        "decided_by",
        "decided_at",
        "created_at",
    )
    list_filter = (MineFilter, "status", "level", "role_name")
    search_fields = ("order__number", "rule_name", "role_name")
    list_select_related = ("order", "decided_by")
    ordering = ("-created_at", "-id")
    readonly_fields = [f.name for f in OrderApproval._meta.fields]

    @admin.display(description=gettext_lazy("order"), ordering="order__number")
    def order_link(self, obj: OrderApproval):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:orders_order_review", args=[obj.order_id]), obj.order.number
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(~Q(level=0))
