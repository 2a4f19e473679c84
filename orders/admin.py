"""The order managers' screen. Thin: every write goes through orders.services (STYLE.md §1, §3).

Status and totals are read-only here; the lifecycle moves only through the transition actions and
buttons below, which call the services. Which buttons appear is decided by the lifecycle table
(display only); the service is the gate.
"""

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin_mixins import (
    DomainErrorAdminMixin,
    PartOfParentInline,
    ReasonActionForm,
    ServiceAddViewMixin,
    TimelineInline,
    action_reason,
    use_autocomplete,
)
from core.errors import InvalidTransition, ValidationFailed
from crm.models import Address, Customer
from orders import admin_priority, admin_review, admin_screen, admin_substitutes, services
from orders.admin_lines import OrderLinesAdminMixin, TimelineChangesMixin
from orders.admin_priority import OrderPriorityAdminMixin
from orders.admin_review import OrderReviewAdminMixin
from orders.admin_screen import OrderReviewScreenMixin
from orders.admin_substitutes import OrderSubstitutesAdminMixin
from orders.models import Channel, Order, OrderEvent, OrderLine
from orders.selectors import order_allocation_view
from orders.states import LIFECYCLE, TRANSITION_PERMISSION, OrderStatus, allowed_targets, can_change
from pricing.services import LineRequest

S = OrderStatus


# ---------------------------------------------------------------------------------------------
# Transitions offered to order managers: one row per action/button, each calling one service.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    key: str
    target: str
    label: str
    action_label: str
    service: Callable[..., Order]
    needs_reason: bool = False
    takes_reason: bool = True
    # Release resumes to wherever the order was held from, so it is gated like putting on hold.
    release: bool = False
    # An approval is of the version the reviewer saw: the screens send it, the service compares.
    checks_version: bool = False
    # Offered only from these statuses (empty: wherever the table allows the target), and gated by this
    # permission instead of the target's (review decisions that lead back to draft).
    offered_from: frozenset = frozenset()
    gate: str = ""

    @property
    def permission(self) -> str:
        return self.gate or TRANSITION_PERMISSION[S.ON_HOLD if self.release else self.target]

    def run(self, *, order_id: int, actor, reason: str = "", expected_version: int | None = None) -> Order:
        kwargs = {"order_id": order_id, "actor": actor}
        if self.takes_reason:
            kwargs["reason"] = reason
        if self.checks_version:
            if expected_version is None:
                # Approving what nobody looked at (select-all across pages) is refused, not guessed.
                raise ValidationFailed(
                    _("Decide on orders you can see: select them on the page, or open the order.")
                )
            kwargs["expected_version"] = expected_version
        return self.service(**kwargs)

    @property
    def already(self) -> OrderStatus | None:
        """The status an order that needs nothing is in (release has no such status: it is a refusal)."""
        return None if self.release else S(self.target)

    def refusal(self, order: Order) -> InvalidTransition:
        """The error the service would raise for this move, worded by the lifecycle."""
        # Release resumes to the held-from status (orders.services.order_release_hold words it so too).
        target = (order.status_before_hold or S.SUBMITTED) if self.release else self.target
        return LIFECYCLE.refusal(order, target)

    def is_offered(self, order: Order) -> bool:
        targets = allowed_targets(order.status, status_before_hold=order.status_before_hold)
        if self.release:
            return order.status == S.ON_HOLD and order.status_before_hold in targets
        # From on hold the only ways out are release (to the held status) and cancel.
        if order.status == S.ON_HOLD and self.target != S.CANCELLED:
            return False
        if self.offered_from and order.status not in self.offered_from:
            return False
        return self.target in targets


def _to(status: str) -> Callable[..., Order]:
    return functools.partial(services.order_transition, to=status)


# Partially shipped, shipped and delivered are not offered: logistics sets them from its shipments
# (orders.states.FULFILMENT_ONLY); order managers dispatch and deliver shipments in the logistics admin.
# In production is not offered either: production moves an order there when it creates its work orders
# (production.services.scheduling, through orders.services.order_production_started).
TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "submit",
        S.SUBMITTED,
        gettext_lazy("Submit"),
        gettext_lazy("Submit selected orders"),
        services.order_submit,
        takes_reason=False,
    ),
    Transition(
        "start_review",
        S.IN_REVIEW,
        gettext_lazy("Start review"),
        gettext_lazy("Start review of selected orders"),
        services.order_start_review,
        takes_reason=False,
    ),
    Transition(
        "approve",
        S.APPROVED,
        gettext_lazy("Approve"),
        gettext_lazy("Approve selected orders"),
        services.order_approve,
        checks_version=True,
    ),
    Transition(
        "reject",
        S.REJECTED,
        gettext_lazy("Reject"),
        gettext_lazy("Reject selected orders (reason)"),
        services.order_reject,
        needs_reason=True,
        checks_version=True,
    ),
    # Back to the dealer as a draft, with what to change (orders.services.review).
    Transition(
        "request_changes",
        S.DRAFT,
        gettext_lazy("Request changes"),
        gettext_lazy("Request changes to selected orders (reason)"),
        services.order_request_changes,
        needs_reason=True,
        checks_version=True,
        offered_from=frozenset({S.SUBMITTED, S.IN_REVIEW}),
        gate="orders.review_order",
    ),
    Transition(
        "hold",
        S.ON_HOLD,
        gettext_lazy("Put on hold"),
        gettext_lazy("Put selected orders on hold (reason)"),
        services.order_hold,
        needs_reason=True,
    ),
    Transition(
        "release_hold",
        S.ON_HOLD,
        gettext_lazy("Release hold"),
        gettext_lazy("Release hold of selected orders"),
        services.order_release_hold,
        release=True,
    ),
    Transition(
        "cancel",
        S.CANCELLED,
        gettext_lazy("Cancel"),
        gettext_lazy("Cancel selected orders (reason)"),
        services.order_cancel,
        needs_reason=True,
    ),
    # Runs the allocation process now (as the worker does after approval): reserves stock through
    # inventory, or records the backorder. "Allocated" is never set by hand.
    Transition(
        "allocate",
        S.ALLOCATED,
        gettext_lazy("Allocate stock"),
        gettext_lazy("Allocate stock for selected orders"),
        services.order_allocate_now,
        takes_reason=False,
    ),
    Transition(
        "ready_to_ship",
        S.READY_TO_SHIP,
        gettext_lazy("Ready to ship"),
        gettext_lazy("Mark selected orders ready to ship"),
        _to(S.READY_TO_SHIP),
    ),
    Transition(
        "complete",
        S.COMPLETED,
        gettext_lazy("Complete"),
        gettext_lazy("Complete selected orders"),
        _to(S.COMPLETED),
    ),
    Transition(
        "reopen",
        S.DRAFT,
        gettext_lazy("Reopen as draft"),
        gettext_lazy("Reopen selected rejected orders as drafts"),
        services.order_reopen,
        offered_from=frozenset({S.REJECTED}),
    ),
)
TRANSITIONS_BY_KEY = {t.key: t for t in TRANSITIONS}


def _bulk_action(transition: Transition):
    def action(modeladmin: "OrderAdmin", request, queryset):
        modeladmin.run_bulk_transition(request, queryset, transition)

    action.__name__ = transition.key
    return admin.action(description=transition.action_label)(action)


# ---------------------------------------------------------------------------------------------
# Forms
# ---------------------------------------------------------------------------------------------


class TransitionForm(forms.Form):
    # The version of the order the confirmation page showed (an approval is of what was reviewed).
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )

    def __init__(self, *args, reason_required: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = reason_required


LINE_OPTION = re.compile(r"^([\w-]+)=(\S+)$")


class OrderCreateForm(forms.Form):
    """Header and lines of a new order; validated and priced by orders.services.order_create."""

    customer = forms.ModelChoiceField(
        label=capfirst(gettext_lazy("customer")), queryset=Customer.objects.all()
    )
    channel = forms.ChoiceField(
        label=capfirst(gettext_lazy("channel")), choices=Channel.choices, initial=Channel.PHONE_EMAIL
    )
    requested_delivery_date = forms.DateField(
        label=capfirst(gettext_lazy("requested delivery date")), required=False, widget=AdminDateWidget
    )
    shipping_address = forms.ModelChoiceField(
        label=capfirst(gettext_lazy("shipping address")),
        required=False,
        queryset=Address.objects.select_related("customer").order_by("customer__name", "pk"),
        help_text=gettext_lazy("Leave empty to use the customer's default shipping address."),
    )
    external_reference = forms.CharField(
        label=capfirst(gettext_lazy("external reference")), required=False, max_length=80
    )
    notes = forms.CharField(
        label=capfirst(gettext_lazy("notes")),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )
    # Not stripped: row numbers in messages must match the rows the user sees.
    lines = forms.CharField(
        label=capfirst(gettext_lazy("lines")),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 60, "placeholder": "TRK-100 2 cab=day colour=red"}),
        help_text=gettext_lazy("One order line per row: SKU quantity [option=value …]."),
    )
    submit = forms.BooleanField(
        label=capfirst(gettext_lazy("submit now")),
        required=False,
        initial=True,
        help_text=gettext_lazy("Untick to keep the order as a draft."),
    )

    def __init__(self, *args, admin_site: admin.AdminSite, **kwargs):
        super().__init__(*args, **kwargs)
        use_autocomplete(self, "customer", Order._meta.get_field("customer"), admin_site)
        self.fields["shipping_address"].label_from_instance = lambda a: f"{a.customer.code} · {a}"
        self.row_numbers: list[int] = []

    def clean_lines(self) -> list[LineRequest]:
        requests, errors, self.row_numbers = [], [], []
        for row, text in enumerate(self.cleaned_data["lines"].splitlines(), start=1):
            tokens = text.split()
            if not tokens:
                continue
            if len(tokens) < 2 or not tokens[1].isdecimal():
                errors.append(_("Row %(row)d: write the SKU, then a whole quantity.") % {"row": row})
                continue
            # Bounded before int(), which raises on thousands of digits (a 500); the service checks the range.
            if len(tokens[1].lstrip("0")) > len(str(settings.ORDER_LINE_MAX_QUANTITY)):
                errors.append(
                    _("Row %(row)d: the quantity must be between 1 and %(max)d.")
                    % {"row": row, "max": settings.ORDER_LINE_MAX_QUANTITY}
                )
                continue
            options = {}
            for token in tokens[2:]:
                match = LINE_OPTION.match(token)
                if match is None:
                    errors.append(
                        _("Row %(row)d: “%(token)s” is not option=value.") % {"row": row, "token": token}
                    )
                    break
                options[match[1]] = match[2]
            requests.append(LineRequest(sku=tokens[0], quantity=int(tokens[1]), options=options))
            self.row_numbers.append(row)
        if errors:
            raise forms.ValidationError(errors)
        return requests

    def domain_error_field(self, path: str) -> tuple[str | None, str]:
        """Where a service field path lands on this form: `lines[2].sku` → the lines box, row label."""
        match = re.match(r"^lines\[(\d+)\](?:\.options\.(.+))?", path)
        if match:
            index, option = int(match[1]), match[2]
            row = self.row_numbers[index] if index < len(self.row_numbers) else index + 1
            if option:
                return "lines", _("Row %(row)d, option %(option)s") % {"row": row, "option": option}
            return "lines", _("Row %(row)d") % {"row": row}
        if path.startswith("shipping_address"):
            return "shipping_address", ""
        root = path.split(".")[0].split("[")[0]
        return (root, "") if root in self.fields else (None, path)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        address = data.get("shipping_address")
        return {
            "customer": data["customer"],
            "channel": data["channel"],
            "lines": data["lines"],
            "requested_delivery_date": data.get("requested_delivery_date"),
            "shipping_address_id": address.pk if address else None,
            "external_reference": data.get("external_reference", ""),
            "notes": data.get("notes", ""),
            "submit": data.get("submit", False),
        }


class VersionField(forms.IntegerField):
    """The version the form was loaded at; never a change of its own."""

    widget = forms.HiddenInput

    def has_changed(self, initial, data) -> bool:
        return False


HEADER_FIELDS = ("requested_delivery_date", "external_reference", "notes")


class OrderChangeForm(forms.ModelForm):
    expected_version = VersionField(required=True)

    class Meta:
        model = Order
        fields = HEADER_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "expected_version" in self.fields and self.instance.pk:
            self.initial.setdefault("expected_version", self.instance.version)


# ---------------------------------------------------------------------------------------------
# Inlines
# ---------------------------------------------------------------------------------------------


class _OrderPartInline(PartOfParentInline):
    """Lines and timeline are part of the order: whoever sees the order sees them, nobody edits them."""


class OrderLineInline(_OrderPartInline):
    model = OrderLine
    fields = (
        "position",
        "sku",
        "description",
        "quantity",
        "options",
        "unit_price",
        "discount_percent",
        "discount_amount",
        "tax_amount",
        "line_total",
        "is_custom_build",
        "quantity_allocated",
        "quantity_shipped",
    )
    readonly_fields = fields
    ordering = ("position",)


class OrderEventInline(TimelineChangesMixin, TimelineInline):
    model = OrderEvent


# ---------------------------------------------------------------------------------------------
# The order admin
# ---------------------------------------------------------------------------------------------


# Every `<status>_at` the lifecycle stamps, in the order of the statuses (read-only, shown together).
STAMP_FIELDS = tuple(LIFECYCLE.stamps.values())


@admin.register(Order)
class OrderAdmin(
    OrderReviewAdminMixin,
    OrderReviewScreenMixin,
    OrderLinesAdminMixin,
    OrderPriorityAdminMixin,
    OrderSubstitutesAdminMixin,
    DomainErrorAdminMixin,
    ServiceAddViewMixin,
    admin.ModelAdmin,
):
    form = OrderChangeForm
    add_form = OrderCreateForm
    add_form_takes_admin_site = True
    action_form = ReasonActionForm
    actions = [*(_bulk_action(t) for t in TRANSITIONS), *admin_priority.ACTIONS]
    list_display = (
        "number",
        "customer",
        "channel",
        "status_seen",
        "allocation_badge",
        admin_priority.LIST_FIELD,  # the priority, its breakdown on hover (orders/admin_priority.py)
        "total_with_currency",
        "requested_delivery_date",
        "promised_delivery_date",
        "created_at",
    )
    list_filter = (
        admin_priority.ReviewQueueFilter,  # the review queue, by priority (orders/admin_priority.py)
        "status",
        "allocation_status",
        "channel",
        "customer__tier",
        "customer__kind",
        "is_promotion",
        "created_at",
        "requested_delivery_date",
    )
    search_fields = ("number", "customer__name", "customer__code", "external_reference")
    list_select_related = ("customer",)
    date_hierarchy = "created_at"
    inlines = (OrderLineInline, OrderEventInline)
    readonly_fields = (
        "number",
        "customer",
        "channel",
        "status_badge",
        "status_before_hold",
        "priority",
        "is_promotion",
        admin_priority.FIELD,
        "version",
        "created_by",
        "created_at",
        "updated_at",
        "promised_delivery_date",
        "shipping_address_display",
        "accepts_partial_shipments",
        "allocation_badge",
        "allocation_display",
        "currency",
        "subtotal",
        "discount_total",
        "tax_total",
        "shipping_fee",
        "total",
        *STAMP_FIELDS,
        admin_substitutes.FIELD,  # substitutes for backordered lines (orders/admin_substitutes.py)
        admin_review.FIELD,  # the review round's approvals (orders/admin_review.py)
    )
    add_fieldsets = (
        (
            None,
            {
                "fields": (
                    "customer",
                    "channel",
                    "requested_delivery_date",
                    "shipping_address",
                    "external_reference",
                    "notes",
                    "submit",
                )
            },
        ),
        (gettext_lazy("Lines"), {"fields": ("lines",)}),
    )

    # --- display ---------------------------------------------------------------------------

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_badge(self, obj: Order):
        # Coloured by static/oms/admin.css: the Content-Security-Policy allows no inline style.
        return format_html(
            '<span class="status-badge status-{}">{}</span>', obj.status, obj.get_status_display()
        )

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_seen(self, obj: Order):
        """The status badge, with the version the list shows as a hidden input: bulk approvals send it,
        so an order changed since the list was drawn is refused, not approved unseen."""
        return format_html(
            '{}<input type="hidden" name="_version_{}" value="{}">',
            self.status_badge(obj),
            obj.pk,
            obj.version,
        )

    @admin.display(description=gettext_lazy("allocation"), ordering="allocation_status")
    def allocation_badge(self, obj: Order):
        if not obj.allocation_status:
            return "-"
        return format_html(
            '<span class="allocation-badge allocation-{}">{}</span>',
            obj.allocation_status,
            obj.get_allocation_status_display(),
        )

    @admin.display(description=gettext_lazy("where each line comes from"))
    def allocation_display(self, obj: Order):
        """Each line's warehouses (reserved / shipped), backorder and the reason, from the decision."""
        view = order_allocation_view(order=obj)
        rows = []
        for line in view.lines:
            where = ", ".join(
                _("%(code)s: %(reserved)d reserved, %(shipped)d shipped") % w for w in line.warehouses
            )
            rows.append(
                (
                    line.position,
                    line.sku,
                    line.ordered,
                    where or "-",
                    line.backordered or "",
                    line.explanation,
                )
            )
        table = format_html(
            '<table class="allocation-table"><thead><tr><th>#</th><th>{}</th><th>{}</th><th>{}</th>'
            "<th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
            _("SKU"),
            _("ordered"),
            _("warehouses"),
            _("backordered"),
            _("why"),
            format_html_join(
                "",
                '<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class="backordered">{}</td>'
                "<td>{}</td></tr>",
                rows,
            ),
        )
        if view.explanation:
            return format_html("<p>{}</p>{}", view.explanation, table)
        return table

    @admin.display(description=gettext_lazy("total"), ordering="total")
    def total_with_currency(self, obj: Order):
        return format_html("{}&nbsp;{}", number_format(obj.total, 2, force_grouping=True), obj.currency)

    @admin.display(description=gettext_lazy("shipping address"))
    def shipping_address_display(self, obj: Order):
        address = obj.shipping_address or {}
        rows = [
            address.get("recipient", ""),
            address.get("phone", ""),
            " ".join(filter(None, (address.get("region"), address.get("city"), address.get("district")))),
            address.get("line1", ""),
            address.get("postal_code", ""),
        ]
        return format_html_join(mark_safe("<br>"), "{}", ((row,) for row in rows if row)) or "-"

    # --- permissions and layout ------------------------------------------------------------

    def has_delete_permission(self, request, obj=None):
        # Orders are cancelled, never deleted: the timeline and invoices refer to them.
        return False

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        reference = ["external_reference", "notes"]
        if self.has_change_permission(request, obj):
            reference.append("expected_version")
        return (
            (
                None,
                {
                    "fields": (
                        "number",
                        "customer",
                        "channel",
                        "status_badge",
                        "created_by",
                        "created_at",
                    )
                },
            ),
            admin_priority.FIELDSET,  # priority, promotion flag, breakdown (orders/admin_priority.py)
            (
                _("Delivery"),
                {
                    "fields": (
                        "requested_delivery_date",
                        "promised_delivery_date",
                        "shipping_address_display",
                        "accepts_partial_shipments",
                    )
                },
            ),
            (_("Stock allocation"), {"fields": ("allocation_badge", "allocation_display")}),
            (_("Reference"), {"fields": reference}),
            (
                _("Totals"),
                {"fields": ("currency", "subtotal", "discount_total", "tax_total", "shipping_fee", "total")},
            ),
            (
                _("Timestamps"),
                {
                    "classes": ("collapse",),
                    "fields": (
                        "status_before_hold",
                        "version",
                        "updated_at",
                        *STAMP_FIELDS,
                    ),
                },
            ),
            admin_substitutes.FIELDSET,  # substitutes for backordered lines (orders/admin_substitutes.py)
            admin_review.FIELDSET,  # the review round's approvals (orders/admin_review.py)
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not can_change(obj.status, status_before_hold=obj.status_before_hold):
            return (*self.readonly_fields, *HEADER_FIELDS)
        return self.readonly_fields

    def get_actions(self, request):
        actions = super().get_actions(request)
        for transition in TRANSITIONS:
            if not request.user.has_perm(transition.permission):
                actions.pop(transition.key, None)
        return actions

    def get_urls(self):
        urls = [
            path(
                "<path:object_id>/transition/<slug:key>/",
                self.admin_site.admin_view(self.transition_view),
                name="orders_order_transition",
            ),
        ]
        return urls + super().get_urls()

    # --- writes: each goes through one service --------------------------------------------

    def create_through_service(self, request, form: OrderCreateForm) -> Order:
        return services.order_create(actor=request.user, **form.service_kwargs())

    def save_model(self, request, obj, form, change):
        """Only the change form reaches here: header edits go through order_change at the loaded version."""
        changed = [name for name in form.changed_data if name in HEADER_FIELDS]
        if not changed:
            return
        data = form.cleaned_data
        services.order_change(
            order_id=obj.pk,
            actor=request.user,
            expected_version=data["expected_version"],
            requested_delivery_date=(
                data.get("requested_delivery_date")
                if "requested_delivery_date" in changed
                else services.UNSET
            ),
            notes=data["notes"] if "notes" in changed else None,
            external_reference=data["external_reference"] if "external_reference" in changed else None,
        )

    def transition_links(self, request, obj: Order) -> list[dict]:
        """The moves this user may offer on `obj` now (display only: the service is the gate)."""
        return [
            {
                "label": t.label,
                "key": t.key,
                # The version this page shows travels with the button: the move is of what was seen.
                "url": reverse("admin:orders_order_transition", args=[obj.pk, t.key])
                + f"?version={obj.version}",
            }
            for t in TRANSITIONS
            if t.is_offered(obj) and request.user.has_perm(t.permission)
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["transition_links"] = self.transition_links(request, obj)
            context["review_url"] = admin_screen.review_url(obj)
        return super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )

    def transition_view(self, request, object_id, key):
        """Confirm (and give a reason for) one transition of one order, then call its service."""
        transition = TRANSITIONS_BY_KEY.get(key)
        if transition is None:
            raise Http404
        order = self.get_object(request, unquote(object_id))
        if order is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not (
            self.has_view_or_change_permission(request, order)
            and request.user.has_perm(transition.permission)
        ):
            raise PermissionDenied
        change_url = reverse("admin:orders_order_change", args=[order.pk])
        if not transition.is_offered(order):
            # No confirmation form for a move the table forbids (a stale button, a typed URL); the
            # service would refuse it anyway, and asking for a reason first would mislead.
            self.message_domain_error(request, transition.refusal(order))
            return HttpResponseRedirect(change_url)
        data = request.POST if request.method == "POST" else None
        form = TransitionForm(
            data, reason_required=transition.needs_reason, initial={"version": order.version}
        )
        if request.method == "POST" and form.is_valid():
            done, result = self.call_service(
                request,
                transition.run,
                subject=order.number,
                order_id=order.pk,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data.get("version"),
            )
            if done:
                messages.success(
                    request,
                    _("Order %(number)s is now “%(status)s”.")
                    % {"number": result.number, "status": result.get_status_display()},
                )
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": _("%(action)s order %(number)s") % {"action": transition.label, "number": order.number},
            "opts": self.opts,
            "original": order,
            "transition": transition,
            "form": form,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/orders/order/transition.html", context)

    def run_bulk_transition(self, request, queryset, transition: Transition) -> None:
        """Apply one transition to each selected order; report each refusal, then the orders moved and
        those skipped because they already were where the transition leads."""
        reason = action_reason(request, label=transition.label, required=transition.needs_reason)
        if reason is None:
            return
        # The versions of the rows as the list showed them (hidden inputs next to each number).
        seen = {}
        for key, value in request.POST.items():
            if key.startswith("_version_") and value.isdecimal() and len(value) < 10:
                seen[key.removeprefix("_version_")] = int(value)

        def run(*, order_id: int, actor, reason: str):
            return transition.run(
                order_id=order_id, actor=actor, reason=reason, expected_version=seen.get(str(order_id))
            )

        self.call_service_each(
            request,
            queryset,
            run,
            id_kwarg="order_id",
            label=transition.label,
            already=transition.already,
            actor=request.user,
            reason=reason,
        )
