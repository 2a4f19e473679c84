"""Portal pages for orders: reps place orders for their customers, dealers follow and cancel theirs."""

from django.contrib import messages
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import ListView

from core.errors import DomainError
from crm.selectors import (
    address_list_for_customer,
    customer_credit_check,
    customer_list_for_rep,
    customer_list_for_rep_or_dealer,
    is_dealer,
    is_rep_or_dealer,
    is_sales_rep,
)
from inventory.models import Product
from inventory.selectors import stock_available, warehouse_list_active
from orders.errors import OrderNotEditable
from orders.models import Channel
from orders.portal import access
from orders.portal.forms import (
    ADDRESS_FORM_FIELDS,
    OrderCancelForm,
    OrderCreateForm,
    OrderEditForm,
    OrderFilterForm,
    OrderLineEditFormSet,
    OrderLineFormSet,
    ProductPickerForm,
    format_options,
)
from orders.selectors import (
    order_allocation_view,
    order_event_list_for_user,
    order_list_for_dealer,
    order_list_for_rep,
    order_priority_view,
    order_review_state,
)
from orders.services import order_cancel, order_change, order_create, order_quote_request, order_submit
from orders.states import BEFORE_APPROVAL, OrderStatus, can_cancel, can_change
from orders.timeline import event_sentences
from portal.mixins import BoundFormset, PortalAccessMixin, apply_domain_error
from portal.views import Panel

RECENT = 10


def stock_by_warehouse(product_ids) -> tuple[list, dict[int, list[tuple[str, int]]]]:
    """The active warehouses and, per product, its available stock in each of them (code, units),
    in warehouse order: what reps see for order lines and in the product picker. Two queries."""
    warehouses = list(warehouse_list_active())
    available = stock_available(product_ids=list(product_ids))
    return warehouses, {
        product_id: [(w.code, per_warehouse.get(w.pk, 0)) for w in warehouses]
        for product_id, per_warehouse in ((pk, available.get(pk, {})) for pk in product_ids)
    }


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


def _own_order(user, order) -> bool:
    return is_dealer(user) and order_list_for_dealer(user=user).filter(pk=order.pk).exists()


def _reps_order(user, order) -> bool:
    return is_sales_rep(user) and order_list_for_rep(user=user).filter(pk=order.pk).exists()


def _rep_may_change(user, order) -> bool:
    """A sales rep corrects and cancels the rep's customers' orders until they are approved (display
    only: order_change and order_cancel decide, under the order's lock)."""
    return can_change(order.status, within=BEFORE_APPROVAL) and _reps_order(user, order)


def _detail_context(request, order, *, cancel_form=None) -> dict:
    own = _own_order(request.user, order)
    rep_may_change = not own and _rep_may_change(request.user, order)
    show_cancel = rep_may_change or (
        own and can_cancel(order.status, status_before_hold=order.status_before_hold)
    )
    if show_cancel and cancel_form is None:
        cancel_form = OrderCancelForm(initial={"version": order.version})
    lines = list(order.lines.all())
    # Reps see where each line's product is in stock now; dealers see their lines only.
    stock = stock_by_warehouse({line.product_id for line in lines})[1] if is_sales_rep(request.user) else {}
    # What a rep or a dealer may see of the timeline is the selector's to decide, as in the dealer API.
    events = list(order_event_list_for_user(user=request.user, order=order))
    for event in events:
        event.changes = event_sentences(event)
    review = order_review_state(order=order)
    may_submit = order.status == OrderStatus.DRAFT and (own or _reps_order(request.user, order))
    return {
        "order": order,
        "review": review,
        # Dealers read the reasons they must act on; approvers' notes on approvals stay the seller's.
        "review_comments_for": (
            ("rejected", "changes_requested") if own else ("rejected", "changes_requested", "approved")
        ),
        "submit_version": order.version if may_submit else None,
        "lines": lines,
        "line_rows": [(line, stock.get(line.product_id)) for line in lines],
        "show_stock": bool(stock),
        "allocation": order_allocation_view(order=order),
        "events": events,
        # Priority is the seller's own ranking: reps see why an order is ahead, dealers never.
        "priority": order_priority_view(order=order) if is_sales_rep(request.user) else None,
        "cancel_form": cancel_form if show_cancel else None,
        "can_edit_order": rep_may_change,
    }


class OrderDetailView(PortalAccessMixin, View):
    access_check = staticmethod(is_rep_or_dealer)
    no_access_reason = gettext_lazy("Orders are shown to dealers and sales representatives.")

    def get(self, request, number: str):
        order = access.order_for(request.user, number=number)
        return render(request, "portal/orders/detail.html", _detail_context(request, order))


class OrderCancelView(PortalAccessMixin, View):
    """A dealer cancels an own order; a sales rep, the rep's customers' orders before approval.
    The button shows only when allowed; order_cancel decides."""

    access_check = staticmethod(is_rep_or_dealer)
    no_access_reason = gettext_lazy("Orders are cancelled here by their dealers and sales representatives.")
    http_method_names = ["post"]

    def post(self, request, number: str):
        order = access.order_for(request.user, number=number)
        # A dealer cancels an own order wherever the lifecycle allows; a rep only before approval.
        within = None if _own_order(request.user, order) else BEFORE_APPROVAL
        form = OrderCancelForm(request.POST)
        if form.is_valid():
            try:
                order_cancel(
                    order_id=order.pk,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    expected_version=form.cleaned_data["version"],
                    within=within,
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


class OrderSubmitView(PortalAccessMixin, View):
    """A draft (new, or sent back with requested changes) goes to review: the dealer's own order, or a
    rep's customer's. The button shows only for drafts; order_submit decides, at the version shown."""

    access_check = staticmethod(is_rep_or_dealer)
    no_access_reason = gettext_lazy("Orders are submitted here by their dealers and sales representatives.")
    http_method_names = ["post"]

    def post(self, request, number: str):
        order = access.order_for(request.user, number=number)
        if not (_own_order(request.user, order) or _reps_order(request.user, order)):
            raise Http404
        version = request.POST.get("version", "")
        if not (version.isdecimal() and len(version) < 10):
            # Submitted only as the rep or dealer saw it: the page's version travels with the button.
            messages.error(request, _("Reload the order and submit it from its page."))
            return redirect("portal:order-detail", number=order.number)
        try:
            order_submit(order_id=order.pk, actor=request.user, expected_version=int(version))
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(
                request, _("Order %(number)s was submitted for review.") % {"number": order.number}
            )
        return redirect("portal:order-detail", number=order.number)


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
        if request.POST.get("action") == "quote":
            return self.quote(request, form, formset, filled)
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

    def quote(self, request, form, formset, filled):
        """ "Check availability": price and date the lines as the order would be, with substitutes
        for lines that cannot be served from stock now and stock per warehouse; writes nothing."""
        data = form.cleaned_data
        try:
            quote = order_quote_request(
                customer=data["customer"],
                lines=[line_form.line_request() for line_form in filled],
                requested_delivery_date=data["requested_delivery_date"],
                with_substitutes=True,
            )
        except DomainError as exc:
            apply_domain_error(exc, form, formsets={"lines": BoundFormset(formset, filled)})
            return self.render_form(request, form, formset)
        product_ids = {p.product.pk for p in quote.lines} | {
            s.product.pk for alternatives in quote.line_substitutes for s in alternatives
        }
        warehouses, stock = stock_by_warehouse(product_ids)
        rows = [
            {
                "line": line,
                "date": date,
                "short": short,
                "stock": stock.get(line.product.pk, []),
                "substitutes": [(s, stock.get(s.product.pk, [])) for s in alternatives],
            }
            for line, date, short, alternatives in zip(
                quote.lines, quote.line_dates, quote.line_short, quote.line_substitutes, strict=True
            )
        ]
        credit = customer_credit_check(customer=data["customer"], extra_amount=quote.total)
        return self.render_form(
            request, form, formset, quote=quote, quote_rows=rows, warehouses=warehouses, credit=credit
        )

    def render_form(self, request, form, formset, **extra):
        return render(request, self.template_name, {"form": form, "formset": formset, **extra})


def _line_initial(order) -> list[dict]:
    return [
        {
            "line_id": line.pk,
            "position": line.position,
            "sku": line.sku,
            "quantity": line.quantity,
            "options": format_options(line.options),
        }
        for line in order.lines.all()
    ]


def _address_initial(order) -> dict:
    address = order.shipping_address or {}
    return {name: address.get(name) or "" for name in ADDRESS_FORM_FIELDS}


def _address_paths(exc: DomainError) -> DomainError:
    """The service names the typed address's fields `shipping_address.<name>`; the form, `<name>`."""
    exc.fields = {
        path.removeprefix("shipping_address.") if path.startswith("shipping_address.") else path: messages
        for path, messages in exc.fields.items()
    }
    return exc


class OrderEditView(PortalAccessMixin, View):
    """A sales rep corrects an order of the rep's customers before it is approved: lines (quantity,
    options, add, remove), dates, address, reference, notes — through order_change, at the version
    the page was opened at. Nothing typed is lost when the service refuses."""

    access_check = staticmethod(is_sales_rep)
    no_access_reason = gettext_lazy("Orders are corrected here by sales representatives.")
    template_name = "portal/orders/edit.html"

    def get(self, request, number: str):
        order = access.rep_order(request.user, number=number)
        if not can_change(order.status, within=BEFORE_APPROVAL):
            messages.error(request, str(OrderNotEditable(order=order, by_managers=True).message))
            return redirect("portal:order-detail", number=order.number)
        form = OrderEditForm(
            addresses=self.addresses(order),
            initial={
                "requested_delivery_date": order.requested_delivery_date,
                "external_reference": order.external_reference,
                "notes": order.notes,
                "version": order.version,
                **_address_initial(order),
            },
        )
        formset = OrderLineEditFormSet(prefix="lines", initial=_line_initial(order))
        return self.render_form(request, order, form, formset)

    def post(self, request, number: str):
        order = access.rep_order(request.user, number=number)
        form = OrderEditForm(request.POST, addresses=self.addresses(order))
        formset = OrderLineEditFormSet(request.POST, prefix="lines", initial=_line_initial(order))
        if not (form.is_valid() and formset.is_valid()):
            return self.render_form(request, order, form, formset)
        # The service's line i is the i-th changed row, not the i-th row.
        changed = [line_form for line_form in formset.forms if line_form.has_changed()]
        data = form.cleaned_data
        try:
            order_change(
                order_id=order.pk,
                actor=request.user,
                expected_version=data["version"],
                requested_delivery_date=data["requested_delivery_date"],
                external_reference=data["external_reference"],
                notes=data["notes"],
                lines=[line_form.line_change() for line_form in changed],
                reason=data["reason"],
                within=BEFORE_APPROVAL,
                **form.address_changes(order.shipping_address or {}),
            )
        except DomainError as exc:
            apply_domain_error(_address_paths(exc), form, formsets={"lines": BoundFormset(formset, changed)})
            return self.render_form(request, order, form, formset)
        messages.success(request, _("Order %(number)s was changed.") % {"number": order.number})
        return redirect("portal:order-detail", number=order.number)

    @staticmethod
    def addresses(order):
        return address_list_for_customer(customer_id=order.customer_id)

    def render_form(self, request, order, form, formset):
        return render(request, self.template_name, {"order": order, "form": form, "formset": formset})


class ProductPickerView(PortalAccessMixin, ListView):
    """Reps look products up for an order: SKU, name, price and what each warehouse has available now."""

    access_check = staticmethod(is_sales_rep)
    no_access_reason = gettext_lazy("The product picker is for sales representatives.")
    template_name = "portal/orders/product_picker.html"
    context_object_name = "products"
    paginate_by = 25

    def get_queryset(self):
        self.filter_form = ProductPickerForm(self.request.GET or None)
        products = Product.objects.filter(is_active=True).select_related("category").order_by("sku")
        return self.filter_form.apply(products)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = list(context["products"])
        warehouses, stock = stock_by_warehouse([p.pk for p in page])
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            filter_form=self.filter_form,
            filter_query=query.urlencode(),
            warehouses=warehouses,
            rows=[(p, stock.get(p.pk, []), sum(n for _code, n in stock.get(p.pk, []))) for p in page],
        )
        return context
