"""Reads for orders. Visibility lives here: a dealer reaches orders only through *_for_dealer."""

from django.db.models import Prefetch, QuerySet

from core.errors import NotFound
from crm.selectors import customer_list_for_user
from orders.models import Order, OrderEvent, OrderLine
from orders.states import TERMINAL


def order_list_for_dealer(*, user, customer_ids: list[int] | None = None) -> QuerySet[Order]:
    """The dealer's orders. `customer_ids` (already read for this user) spares a subquery, which lets
    PostgreSQL walk the (customer, -created_at, -id) index instead of sorting every order."""
    if customer_ids is None:
        return Order.objects.filter(
            customer__in=customer_list_for_user(user=user).values("pk")
        ).select_related("customer")
    return Order.objects.filter(customer_id__in=customer_ids).select_related("customer")


def order_get_for_dealer(*, user, number: str, with_lines: bool = True) -> Order:
    qs = order_list_for_dealer(user=user)
    if with_lines:
        qs = qs.prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("position")))
    order = qs.filter(number=number).first()
    if order is None:
        raise NotFound()
    return order


def order_list_for_rep(*, user) -> QuerySet[Order]:
    return Order.objects.filter(customer__sales_rep=user).select_related("customer")


def order_get(*, order_id: int) -> Order:
    order = Order.objects.select_related("customer").filter(pk=order_id).first()
    if order is None:
        raise NotFound()
    return order


def order_event_list(*, order: Order) -> QuerySet[OrderEvent]:
    return OrderEvent.objects.filter(order=order).select_related("actor").order_by("-created_at", "-id")


# Timeline entries that are the system's own business, not the dealer's.
DEALER_HIDDEN_EVENT_KINDS = ("order.priority_scored",)


def order_event_list_for_dealer(*, order: Order) -> QuerySet[OrderEvent]:
    """The order's timeline as a dealer sees it: without internal bookkeeping such as priority scores."""
    return order_event_list(order=order).exclude(kind__in=DEALER_HIDDEN_EVENT_KINDS)


def order_list_open(*, limit: int | None = None) -> QuerySet[Order]:
    qs = Order.objects.exclude(status__in=TERMINAL).order_by("pk")
    return qs[:limit] if limit else qs


def order_find_by_external_reference(*, customer_id: int, external_reference: str) -> Order | None:
    if not external_reference:
        return None
    return Order.objects.filter(customer_id=customer_id, external_reference=external_reference).first()
