"""Reads for customers. A rep's customer scope is defined here once."""

from django.db.models import QuerySet

from crm.models import Customer


def customer_list_for_rep(*, user) -> QuerySet[Customer]:
    return Customer.objects.filter(sales_rep=user, is_active=True).order_by("name")


def customer_list_for_user(*, user) -> QuerySet[Customer]:
    """The customers a dealer user acts for (one dealer, or several for a dealer group)."""
    return Customer.objects.filter(users=user, is_active=True)
