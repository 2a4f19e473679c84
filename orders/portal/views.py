"""Portal pages for orders: reps place orders for their customers, dealers follow and cancel theirs."""

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import ListView

from core.errors import DomainError
from crm.selectors import (
    customer_list_for_rep,
    customer_list_for_rep_or_dealer,
    is_dealer,
    is_rep_or_dealer,
    is_sales_rep,
)
from inventory.selectors import stock_available, warehouse_list_active
from orders.models import Channel
from orders.portal import access
from orders.portal.forms import OrderCancelForm, OrderCreateForm, OrderFilterForm, OrderLineFormSet
from orders.selectors import (
    order_allocation_view,
    order_event_list_for_user,
    order_list_for_dealer,
    order_list_for_rep,
)
from orders.services import order_cancel, order_create
from orders.states import OrderStatus, can_cancel
from portal.mixins import BoundFormset, PortalAccessMixin, apply_domain_error
from portal.views import Panel

RECENT = 10


def _status_counts(orders) -> list[tuple[str, str, int]]:
    rows = dict(orders.order_by().values_list("status").annotate(n=Count("id")))
    return [
        (status.value, status.label, rows[status.value]) for status in OrderStatus if rows.get(status.value)
    ]


def rep_panel(request) -> Panel | None:
    """Home panel for a sales rep: the rep's customers' recent orders and counts by status."""
    if not is_sales_rep(request.user):
        return None
    orders = order_list_for_rep(user=request.user)
    return Panel(
        "portal/orders/_rep_panel.html",
        {
            "recent": orders.order_by("-created_at", "-id")[:RECENT],
            "counts": _status_counts(orders),
            "customer_count": customer_list_for_rep(user=request.user).count(),
        },
    )


def dealer_panel(request) -> Panel | None:
    """Home panel for a dealer: own recent orders, counts by status, links to tokens and webhooks."""
    if not is_dealer(request.user):
        return None
    orders = order_list_for_dealer(user=request.user)
    return Panel(
        "portal/orders/_dealer_panel.html",
        {
            "recent": orders.order_by("-created_at", "-id")[:RECENT],
            "counts": _status_counts(orders),
        },
    )


class OrderListView(PortalAccessMixin, ListView):
    access_check = staticmethod(is_rep_or_dealer)
    no_access_reason = gettext_lazy("Orders are shown to dealers and sales representatives.")
    template_name = "portal/orders/list.html"
    context_object_name = "orders"
    paginate_by = 25

    def get_queryset(self):
        self.filter_form = OrderFilterForm(
            self.request.GET or None, customers=customer_list_for_rep_or_dealer(user=self.request.user)
        )
        orders = access.orders_for(self.request.user)
        return self.filter_form.apply(orders).order_by("-created_at", "-id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            filter_form=self.filter_form,
            filter_query=query.urlencode(),
            can_create=is_sales_rep(self.request.user),
        )
        return context


def _detail_context(request, order, *, cancel_form=None) -> dict:
    own = is_dealer(request.user) and order_list_for_dealer(user=request.user).filter(pk=order.pk).exists()
    show_cancel = own and can_cancel(order.status, status_before_hold=order.status_before_hold)
    if show_cancel and cancel_form is None:
        cancel_form = OrderCancelForm(initial={"version": order.version})
    allocation = order_allocation_view(order=order)
    stock_rows = []
    if is_sales_rep(request.user):
        # Reps see what each warehouse has for the order's lines (available = on hand − reserved).
        lines = list(order.lines.all())
        available = stock_available(product_ids={line.product_id for line in lines})
        codes = {warehouse.pk: warehouse.code for warehouse in warehouse_list_active()}
        for line in lines:
            per_warehouse = available.get(line.product_id, {})
            stock_rows.append(
                {
                    "position": line.position,
                    "sku": line.sku,
                    "warehouses": [
                        {"code": codes[wid], "available": max(0, qty)}
                        for wid, qty in sorted(per_warehouse.items(), key=lambda item: codes.get(item[0], ""))
                        if wid in codes
                    ],
                }
            )
    return {
        "order": order,
        "lines": order.lines.all(),
        "allocation": allocation,
        "stock_rows": stock_rows,
        # What a rep or a dealer may see of the timeline is the selector's to decide, as in the dealer API.
        "events": order_event_list_for_user(user=request.user, order=order),
        "cancel_form": cancel_form if show_cancel else None,
    }


class OrderDetailView(PortalAccessMixin, View):
    access_check = staticmethod(is_rep_or_dealer)
    no_access_reason = gettext_lazy("Orders are shown to dealers and sales representatives.")

    def get(self, request, number: str):
        order = access.order_for(request.user, number=number)
        return render(request, "portal/orders/detail.html", _detail_context(request, order))


class OrderCancelView(PortalAccessMixin, View):
    """A dealer cancels an own order. The button shows only when can_cancel; order_cancel decides."""

    access_check = staticmethod(is_dealer)
    no_access_reason = gettext_lazy("Only the dealer who placed an order can cancel it here.")
    http_method_names = ["post"]

    def post(self, request, number: str):
        order = access.dealer_order(request.user, number=number)
        form = OrderCancelForm(request.POST)
        if form.is_valid():
            try:
                order_cancel(
                    order_id=order.pk,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    expected_version=form.cleaned_data["version"],
                )
            except DomainError as exc:
                apply_domain_error(exc, form)
            else:
                messages.success(request, _("Order %(number)s was cancelled.") % {"number": order.number})
                return redirect("portal:order-detail", number=order.number)
        context = _detail_context(request, order, cancel_form=form)
        # The service refused (or the form is incomplete): show the refusal even if the button would
        # no longer be offered, e.g. because the order moved on meanwhile.
        context["cancel_form"] = form
        return render(request, "portal/orders/detail.html", context)


class OrderCreateView(PortalAccessMixin, View):
    """A sales rep places an order for one of the rep's customers (channel: sales rep)."""

    access_check = staticmethod(is_sales_rep)
    no_access_reason = gettext_lazy("New orders are placed here by sales representatives.")
    template_name = "portal/orders/create.html"

    def get(self, request):
        form = OrderCreateForm(customers=customer_list_for_rep(user=request.user))
        return self.render_form(request, form, OrderLineFormSet(prefix="lines"))

    def post(self, request):
        form = OrderCreateForm(request.POST, customers=customer_list_for_rep(user=request.user))
        formset = OrderLineFormSet(request.POST, prefix="lines")
        if not (form.is_valid() and formset.is_valid()):
            return self.render_form(request, form, formset)
        # Blank rows are skipped, so the service's line i is the i-th filled row, not the i-th row.
        filled = [line_form for line_form in formset.forms if line_form.has_changed()]
        data = form.cleaned_data
        try:
            order = order_create(
                customer=data["customer"],
                channel=Channel.SALES_REP,
                actor=request.user,
                lines=[line_form.line_request() for line_form in filled],
                requested_delivery_date=data["requested_delivery_date"],
                external_reference=data["external_reference"],
                notes=data["notes"],
            )
        except DomainError as exc:
            apply_domain_error(exc, form, formsets={"lines": BoundFormset(formset, filled)})
            return self.render_form(request, form, formset)
        messages.success(request, _("Order %(number)s was created.") % {"number": order.number})
        return redirect("portal:order-detail", number=order.number)

    def render_form(self, request, form, formset):
        return render(request, self.template_name, {"form": form, "formset": formset})
