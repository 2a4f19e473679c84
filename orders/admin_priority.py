"""Priority in the admin (issue #9): the factors' weights and parameters, the order page's breakdown, the
list's priority column with its breakdown on hover, the review queue and the promotion flag. Thin:
every write goes through orders.services (priority_factor_update, order_set_promotion)."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import admin, messages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Subquery, Sum, Value
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin_mixins import DomainErrorAdminMixin
from crm.models import CustomerTier
from orders import priority, services
from orders.models import Order, PriorityFactor
from orders.priority import PriorityFactorCode
from orders.selectors import REVIEW_QUEUE, REVIEW_QUEUE_ORDERING, order_priority_view, priority_rules

F = PriorityFactorCode
LIST_FIELD = "priority_seen"
FIELD = "priority_breakdown_display"
# The order page's section: OrderAdmin lists FIELD and "is_promotion" among its read-only fields.
FIELDSET = (gettext_lazy("Priority"), {"fields": ("priority", "is_promotion", FIELD)})


# ---------------------------------------------------------------------------------------------
# The factors: one page per factor, its weight and its parameters as typed fields
# ---------------------------------------------------------------------------------------------


def _share_field(label, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=kwargs.pop("help_text", gettext_lazy("Share of the factor's weight, in %.")),
        **kwargs,
    )


class BandsField(forms.CharField):
    """Bands as rows of two numbers (threshold, share %), as order lines are typed in the order form."""

    widget = forms.Textarea(attrs={"rows": 6, "cols": 40})

    def __init__(self, *, key: str, integer: bool, **kwargs):
        self.key, self.integer = key, integer
        super().__init__(strip=False, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(f"{band[self.key]} {band['share']}" for band in value)
        return value

    def to_python(self, value) -> list[dict]:
        bands, errors = [], []
        for row, text in enumerate([t for t in (value or "").splitlines() if t.strip()], start=1):
            tokens = text.replace(",", "").split()
            try:
                if len(tokens) != 2:
                    raise ValueError
                threshold = int(tokens[0]) if self.integer else str(Decimal(tokens[0]))
                share = str(Decimal(tokens[1]))
            except (ValueError, InvalidOperation):
                errors.append(
                    _("Band %(row)d: write %(threshold)s, then the share in %%.")
                    % {"row": row, "threshold": self.threshold_words()}
                )
                continue
            bands.append({self.key: threshold, "share": share})
        if errors:
            raise forms.ValidationError(errors)
        return bands

    def threshold_words(self) -> str:
        return _("the number of days") if self.integer else _("the minimum order total")


class PriorityFactorForm(forms.ModelForm):
    """A factor's weight and parameters; the parameter fields depend on the factor (`parameter_fields`).
    Messages are those of the service's own checks (orders.priority.parameters_clean), by field."""

    parameter_fields: tuple[str, ...] = ()

    class Meta:
        model = PriorityFactor
        fields = ("weight",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.parameter_fields:
            if name in self.instance.parameters:
                self.initial.setdefault(name, self.instance.parameters[name])

    def parameters(self) -> dict:
        data = self.cleaned_data
        return {name: data[name] for name in self.parameter_fields if data.get(name) is not None}

    def clean(self):
        data = super().clean()
        if any(name in self.errors for name in self.parameter_fields):
            return data
        _clean, errors = priority.parameters_clean(self.instance.code, self.parameters_json())
        for name, field_messages in errors.items():
            for message in field_messages:
                self.add_error(name if name in self.fields else None, message)
        weight = data.get("weight")
        others = [r for r in priority_rules() if r.code != self.instance.code and r.weight]
        if weight == 0 and not others:
            self.add_error(
                "weight",
                _("At least one factor must have a weight above 0, or every order would score 0."),
            )
        return data

    def parameters_json(self) -> dict:
        """The parameters as the service takes them (JSON types: shares as text)."""
        return {
            name: str(value) if isinstance(value, Decimal) else value
            for name, value in self.parameters().items()
        }


class ValueFactorForm(PriorityFactorForm):
    parameter_fields = ("bands",)
    bands = BandsField(
        key="min_total",
        integer=False,
        label=gettext_lazy("Value bands"),
        help_text=gettext_lazy(
            "One band per row: the minimum order total, then the share of the weight it earns (percent), "
            "e.g. “100000 66.67”. An order earns the share of the highest band its total reaches."
        ),
    )


class UrgencyFactorForm(PriorityFactorForm):
    parameter_fields = ("bands", "later", "undated")
    bands = BandsField(
        key="within_days",
        integer=True,
        label=gettext_lazy("Urgency bands"),
        help_text=gettext_lazy(
            "One band per row: days left until the requested delivery date, then the share of the "
            "weight (percent), e.g. “7 75” (7 days or fewer: 75 percent). "
            "An overdue date counts as the first band."
        ),
    )
    later = _share_field(
        gettext_lazy("Later"), help_text=gettext_lazy("Share (percent) for a date beyond the last band.")
    )
    undated = _share_field(
        gettext_lazy("No requested date"),
        help_text=gettext_lazy("Share (percent) for an order without a requested delivery date."),
    )


# A share field per tier (declared fields must exist when the class is made), and the key account's.
CustomerFactorForm = type(
    "CustomerFactorForm",
    (PriorityFactorForm,),
    {
        "parameter_fields": (*CustomerTier.values, "key_account"),
        **{
            value: _share_field(
                label, help_text=gettext_lazy("Share of the weight (percent) for a customer of this tier.")
            )
            for value, label in CustomerTier.choices
        },
        "key_account": _share_field(
            gettext_lazy("Key account"),
            help_text=gettext_lazy(
                "Share (percent) a key account (customer kind) earns at least, whatever its tier."
            ),
        ),
    },
)


class AgeFactorForm(PriorityFactorForm):
    parameter_fields = ("full_after_days",)
    full_after_days = forms.IntegerField(
        label=gettext_lazy("Full share after (days)"),
        min_value=1,
        max_value=priority.MAX_FULL_AFTER_DAYS,
        help_text=gettext_lazy(
            "Days after submission at which the order earns the whole weight; the share grows evenly "
            "until then."
        ),
    )


FORMS: dict[str, type[PriorityFactorForm]] = {
    F.VALUE: ValueFactorForm,
    F.URGENCY: UrgencyFactorForm,
    F.CUSTOMER: CustomerFactorForm,
    F.AGE: AgeFactorForm,
    F.PROMOTION: PriorityFactorForm,
}


@admin.register(PriorityFactor)
class PriorityFactorAdmin(DomainErrorAdminMixin, admin.ModelAdmin):
    list_display = ("factor", "weight", "share_of_score", "rule", "updated_at", "updated_by")
    list_display_links = ("factor",)
    list_select_related = ("updated_by",)
    readonly_fields = ("factor", "how_it_counts", "updated_at", "updated_by")

    @admin.display(description=gettext_lazy("factor"), ordering="position")
    def factor(self, obj: PriorityFactor):
        return obj.get_code_display()

    @admin.display(description=gettext_lazy("parameters"))
    def rule(self, obj: PriorityFactor):
        return priority.rule_text(obj.code, obj.parameters)

    @admin.display(description=gettext_lazy("at most, of 100 points"))
    def share_of_score(self, obj: PriorityFactor):
        total = obj.total_weight
        return "0" if not total else f"{Decimal(obj.weight * 100) / total:.1f}"

    @admin.display(description=gettext_lazy("how it counts"))
    def how_it_counts(self, obj: PriorityFactor):
        return format_html(
            "{}<br>{}",
            _(
                "Weights are relative: a factor's points are its weight × the share the order earns ÷ "
                "the sum of the weights of the factors that count (now %(total)d), so an order that "
                "earns every share in full scores 100."
            )
            % {"total": obj.total_weight},
            _("Saving rescores every open order in the background, within minutes."),
        )

    def get_queryset(self, request):
        # The sum of all the weights beside each row (a scalar subquery over every factor, whatever the
        # page filters): the share column costs no query per row.
        every_weight = (
            PriorityFactor.objects.order_by().annotate(all=Value(1)).values("all").annotate(sum=Sum("weight"))
        )
        return super().get_queryset(request).annotate(total_weight=Subquery(every_weight.values("sum")))

    def has_add_permission(self, request):
        # One row per factor the rules know (migration 0005); a factor needs code, not a row.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = FORMS.get(obj.code, PriorityFactorForm) if obj else PriorityFactorForm
        kwargs["fields"] = ("weight", *kwargs["form"].parameter_fields)
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        form = FORMS.get(obj.code, PriorityFactorForm) if obj else PriorityFactorForm
        fieldsets = [(None, {"fields": ("factor", "weight", "how_it_counts")})]
        if form.parameter_fields:
            fieldsets.append((_("Parameters"), {"fields": form.parameter_fields}))
        fieldsets.append((None, {"fields": ("updated_at", "updated_by")}))
        return fieldsets

    def save_model(self, request, obj, form, change):
        """The change goes through priority_factor_update; open orders are rescored by the sweep its
        event queues, after this request."""
        services.priority_factor_update(
            code=obj.code,
            weight=form.cleaned_data["weight"],
            parameters=form.parameters_json(),
            actor=request.user,
        )
        obj.refresh_from_db()
        messages.info(request, _("Open orders are being rescored with the new weights in the background."))


# ---------------------------------------------------------------------------------------------
# The order admin's part: list column, review queue, breakdown, promotion flag
# ---------------------------------------------------------------------------------------------


class ReviewQueueFilter(admin.SimpleListFilter):
    title = gettext_lazy("queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("review", _("Review queue (submitted, in review) by priority"))]

    def queryset(self, request, queryset):
        if self.value() == "review":
            return queryset.filter(status__in=REVIEW_QUEUE)
        return queryset


def in_review_queue(request) -> bool:
    """Whether the order list shows (part of) the review queue: the queue filter, or a status of it."""
    return request.GET.get("queue") == "review" or request.GET.get("status__exact") in REVIEW_QUEUE


@admin.action(description=gettext_lazy("Flag selected orders as promotion orders"), permissions=["change"])
def flag_promotion(modeladmin, request, queryset):
    modeladmin.call_service_each(
        request,
        queryset,
        services.order_set_promotion,
        id_kwarg="order_id",
        label=_("Flag as promotion order"),
        is_promotion=True,
        actor=request.user,
    )


@admin.action(description=gettext_lazy("Clear the promotion flag of selected orders"), permissions=["change"])
def clear_promotion(modeladmin, request, queryset):
    modeladmin.call_service_each(
        request,
        queryset,
        services.order_set_promotion,
        id_kwarg="order_id",
        label=_("Clear promotion flag"),
        is_promotion=False,
        actor=request.user,
    )


ACTIONS = (flag_promotion, clear_promotion)


class OrderPriorityAdminMixin:
    """Gives OrderAdmin the priority column (LIST_FIELD), the breakdown (FIELD, shown in FIELDSET) and the
    review queue's ordering: highest priority first, then the longest waiting."""

    @admin.display(description=gettext_lazy("priority"), ordering="priority")
    def priority_seen(self, obj: Order):
        # The breakdown is on the row already: the hover text costs no query.
        return format_html(
            '<span class="priority" title="{}">{}</span>',
            order_priority_view(order=obj).summary,
            obj.priority,
        )

    @admin.display(description=gettext_lazy("why this priority"))
    def priority_breakdown_display(self, obj: Order):
        view = order_priority_view(order=obj)
        if not view.rows:
            return _("Not scored yet: the next rescoring (within 15 minutes) fills this in.")
        table = format_html(
            '<table class="priority-table"><thead><tr><th>{}</th><th>{}</th><th class="num">{}</th>'
            '<th class="num">{}</th><th class="num">{}</th></tr></thead><tbody>{}</tbody>'
            '<tfoot><tr><th colspan="4">{}</th><th class="num">{}</th></tr></tfoot></table>',
            _("factor"),
            _("computed from"),
            _("weight"),
            _("share earned"),
            _("points"),
            format_html_join(
                "",
                '<tr><td>{}</td><td>{}</td><td class="num">{}</td><td class="num">{}</td>'
                '<td class="num">{}</td></tr>',
                ((r.label, r.fact, r.weight, r.share, r.points) for r in view.rows),
            ),
            _("Priority"),
            view.score,
        )
        return format_html(
            "{}<p>{}</p>",
            table,
            _(
                "Points = weight × share earned ÷ %(total)d (the sum of the weights that count), rounded "
                "so that they add up to the priority."
            )
            % {"total": view.total_weight},
        )

    def get_ordering(self, request):
        if in_review_queue(request):
            return REVIEW_QUEUE_ORDERING
        return super().get_ordering(request)
