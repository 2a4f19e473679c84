"""Which orders each portal user reaches.

Order visibility comes only from orders.selectors, and who is a rep or a dealer only from
crm.selectors (which caches the roles on the user for the request); this module combines them.
"""

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from core.errors import NotFound
from crm.selectors import is_dealer, is_sales_rep
from orders.models import Order, OrderLine
from orders.selectors import (
    order_get_for_dealer,
    order_list_for_dealer,
    order_list_for_rep,
)


def orders_for(user) -> QuerySet[Order]:
    """Every order the user may see: a rep's customers' orders, a dealer's own, or both."""
    rep, dealer = is_sales_rep(user), is_dealer(user)
    if rep and dealer:
        return order_list_for_rep(user=user) | order_list_for_dealer(user=user)
    if rep:
        return order_list_for_rep(user=user)
    if dealer:
        return order_list_for_dealer(user=user)
    return Order.objects.none()


def dealer_order(user, *, number: str) -> Order:
    """One of the dealer's own orders with its lines, or 404."""
    try:
        return order_get_for_dealer(user=user, number=number)
    except NotFound:
        raise Http404


def rep_order(user, *, number: str) -> Order:
    """One order of the rep's customers with its lines, or 404 (another rep's customer's order too)."""
    order = (
        order_list_for_rep(user=user)
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("position")))
        .filter(number=number)
        .first()
    )
    if order is None:
        raise Http404
    return order


def order_for(user, *, number: str) -> Order:
    """One visible order with its lines, or 404 (another dealer's order does not exist for you)."""
    if is_dealer(user):
        try:
            return order_get_for_dealer(user=user, number=number)
        except NotFound:
            pass
    if is_sales_rep(user):
        order = (
            order_list_for_rep(user=user)
            .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("position")))
            .filter(number=number)
            .first()
        )
        if order is not None:
            return order
    raise Http404
