"""The order page's "Change lines" (issue #9): order managers add lines, change quantities and options,
remove lines and change the shipping address of an order in any status the lifecycle allows, through
orders.services.order_change at the version the page showed. Also the timeline's "what changed"
column (orders.timeline). Kept apart from orders/admin.py, which only mixes these in."""

import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from crm.selectors import address_list_for_customer
from orders.errors import OrderNotEditable
from orders.models import Order, OrderEvent
from orders.portal.forms import OrderLineEditFormSet, format_options
from orders.services import order_change
from orders.states import can_change
from orders.timeline import event_sentences

_LINE_PATH = re.compile(r"^lines\[(\d+)\](?:\.(\w+))?(?:\.(.+))?$")


class OrderLinesForm(forms.Form):
    """What goes with the lines on the page: the address, why, and the version shown."""

    shipping_address = forms.ModelChoiceField(
        label=gettext_lazy("Ship to"),
        required=False,
        queryset=None,
        empty_label=gettext_lazy("Keep the current address"),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=gettext_lazy("Kept on the order's timeline with the change."),
    )
    # The version of the order this page showed: a change to an order changed since is refused.
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, order: Order, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shipping_address"].queryset = address_list_for_customer(customer_id=order.customer_id)


def _line_initial(order: Order) -> list[dict]:
    return [
        {
            "line_id": line.pk,
            "sku": line.sku,
            "quantity": line.quantity,
            "options": format_options(line.options),
        }
        for line in order.lines.order_by("position")
    ]


def _place_error(exc: DomainError, form: forms.Form, rows: list[forms.Form]) -> None:
    """A refusal onto the page: `lines[i].<field>` on the i-th changed row, the rest on top."""
    if not exc.fields:
        form.add_error(None, str(exc.message))
        return
    for where, texts in exc.fields.items():
        match = _LINE_PATH.match(where)
        for text in map(str, texts):
            if match and int(match[1]) < len(rows):
                row, name, rest = rows[int(match[1])], match[2], match[3]
                if name in row.fields and not row.fields[name].disabled:
                    row.add_error(name, f"{rest}: {text}" if rest else text)
                else:
                    row.add_error(None, text)
            elif where.startswith("shipping_address"):
                form.add_error("shipping_address", text)
            else:
                form.add_error(None, f"{where}: {text}" if where != "lines" else text)


class OrderLinesAdminMixin:
    """Gives OrderAdmin the "Change lines" page and its link on the order page."""

    def get_urls(self):
        urls = [
            path(
                "<path:object_id>/lines/",
                self.admin_site.admin_view(self.change_lines_view),
                name="orders_order_lines",
            ),
        ]
        return urls + super().get_urls()

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and self.may_change_lines(request, obj):
            context["change_lines_url"] = reverse("admin:orders_order_lines", args=[obj.pk])
        return super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )

    def may_change_lines(self, request, order: Order) -> bool:
        """Whether to offer the page (display only: order_change decides under the order's lock)."""
        return self.has_change_permission(request, order) and can_change(
            order.status, status_before_hold=order.status_before_hold
        )

    def change_lines_view(self, request, object_id):
        order = self.get_object(request, unquote(object_id))
        if order is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, order):
            raise PermissionDenied
        change_url = reverse("admin:orders_order_change", args=[order.pk])
        initial = _line_initial(order)
        if request.method == "POST":
            form = OrderLinesForm(request.POST, order=order)
            formset = OrderLineEditFormSet(request.POST, prefix="lines", initial=initial)
            if form.is_valid() and formset.is_valid():
                rows = [row for row in formset.forms if row.has_changed()]
                address = form.cleaned_data["shipping_address"]
                try:
                    changed = order_change(
                        order_id=order.pk,
                        actor=request.user,
                        expected_version=form.cleaned_data["version"],
                        lines=[row.line_change() for row in rows],
                        shipping_address_id=address.pk if address else None,
                        reason=form.cleaned_data["reason"],
                    )
                except DomainError as exc:
                    _place_error(exc, form, rows)
                else:
                    if changed.version == order.version:
                        messages.info(request, _("Nothing was changed."))
                    else:
                        messages.success(
                            request, _("Order %(number)s was changed.") % {"number": changed.number}
                        )
                    return HttpResponseRedirect(change_url)
        else:
            if not can_change(order.status, status_before_hold=order.status_before_hold):
                messages.error(request, str(OrderNotEditable(order=order).message))
                return HttpResponseRedirect(change_url)
            form = OrderLinesForm(order=order, initial={"version": order.version})
            formset = OrderLineEditFormSet(prefix="lines", initial=initial)
        lines = {line.pk: line for line in order.lines.all()}
        context = {
            **self.admin_site.each_context(request),
            "title": _("Change lines of order %(number)s") % {"number": order.number},
            "opts": self.opts,
            "original": order,
            "form": form,
            "formset": formset,
            "rows": [(row, lines.get(row.initial.get("line_id"))) for row in formset.forms],
            "change_url": change_url,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/orders/order/change_lines.html", context)


class TimelineChangesMixin:
    """The timeline inline's "what changed" column: a change's diff in words (orders.timeline)."""

    fields = ("created_at", "kind_label", "from_status", "to_status", "actor", "note", "changes")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("what changed"))
    def changes(self, event: OrderEvent):
        sentences = event_sentences(event)
        if not sentences:
            return "-"
        return format_html_join("", "<div>{}</div>", ((sentence,) for sentence in sentences))
