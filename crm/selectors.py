"""Reads for customers. Who may act for which customer is defined here once: a sales rep's
customers, a dealer user's customers, and the portal roles that follow from them.

Roles are computed once per request and kept on the user object the request carries, so the
navigation, the view's access check and its queries ask the database once.
"""

from django.db.models import QuerySet

from crm.models import Address, Customer
from crm.roles import SALES_REP


def customer_list_for_rep(*, user) -> QuerySet[Customer]:
    return Customer.objects.filter(sales_rep=user, is_active=True).order_by("name")


def customer_list_for_user(user) -> QuerySet[Customer]:
    """The customers a dealer user acts for (one dealer, or several for a dealer group).

    `user` may be passed by position: the dealer API's base view calls its customers selector so.
    """
    return Customer.objects.filter(users=user, is_active=True)


def customer_list_for_rep_or_dealer(*, user) -> QuerySet[Customer]:
    """Every customer the user acts for in the portal: a rep's customers, a dealer's own, or both."""
    rep, dealer = is_sales_rep(user), is_dealer(user)
    if rep and dealer:
        return (
            (customer_list_for_rep(user=user) | customer_list_for_user(user=user)).distinct().order_by("name")
        )
    if rep:
        return customer_list_for_rep(user=user)
    if dealer:
        return customer_list_for_user(user=user).order_by("name")
    return Customer.objects.none()


def _roles(user) -> dict[str, bool]:
    cached = getattr(user, "_portal_roles", None)
    if cached is None:
        if not user.is_authenticated:
            cached = {"rep": False, "dealer": False}
        else:
            cached = {
                "rep": Customer.objects.filter(sales_rep=user).exists()
                or user.groups.filter(name=SALES_REP).exists(),
                "dealer": customer_list_for_user(user=user).exists(),
            }
        user._portal_roles = cached
    return cached


def is_sales_rep(user) -> bool:
    """The user is some customer's sales rep, or in the Sales rep group."""
    return _roles(user)["rep"]


def is_dealer(user) -> bool:
    """The user acts for at least one active customer."""
    return _roles(user)["dealer"]


def is_rep_or_dealer(user) -> bool:
    roles = _roles(user)
    return roles["rep"] or roles["dealer"]


def address_list_for_customer(*, customer_id: int) -> QuerySet[Address]:
    """The customer's saved addresses, the default shipping address first."""
    return Address.objects.filter(customer_id=customer_id).order_by("-is_default_shipping", "pk")
