"""Who is who in the portal, and which orders and customers each role reaches.

Order visibility comes only from orders.selectors; this module only decides which of them apply.
Roles are computed once per request and kept on the user object the request carries.
"""

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from core.errors import NotFound
from crm.models import Customer
from crm.selectors import customer_list_for_rep
from orders.models import Order, OrderLine
from orders.selectors import (
    customers_for_user,
    order_get_for_dealer,
    order_list_for_dealer,
    order_list_for_rep,
)

SALES_REP_GROUP = "Sales rep"


def rep_customers(user) -> QuerySet[Customer]:
    return customer_list_for_rep(user=user)


def _roles(user) -> dict[str, bool]:
    cached = getattr(user, "_portal_roles", None)
    if cached is None:
        if not user.is_authenticated:
            cached = {"rep": False, "dealer": False}
        else:
            cached = {
                "rep": Customer.objects.filter(sales_rep=user).exists()
                or user.groups.filter(name=SALES_REP_GROUP).exists(),
                "dealer": customers_for_user(user).exists(),
            }
        user._portal_roles = cached
    return cached


def is_sales_rep(user) -> bool:
    return _roles(user)["rep"]


def is_dealer(user) -> bool:
    return _roles(user)["dealer"]


def is_rep_or_dealer(user) -> bool:
    roles = _roles(user)
    return roles["rep"] or roles["dealer"]


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


def customers_for(user) -> QuerySet[Customer]:
    """The customers whose orders the user sees (the list filter's choices)."""
    rep, dealer = is_sales_rep(user), is_dealer(user)
    if rep and dealer:
        return (rep_customers(user) | customers_for_user(user)).distinct().order_by("name")
    if rep:
        return rep_customers(user)
    if dealer:
        return customers_for_user(user).order_by("name")
    return Customer.objects.none()


def dealer_order(user, *, number: str) -> Order:
    """One of the dealer's own orders with its lines, or 404."""
    try:
        return order_get_for_dealer(user=user, number=number)
    except NotFound:
        raise Http404


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
