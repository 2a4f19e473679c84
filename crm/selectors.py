"""Reads for customers. Who may act for which customer is defined here once: a sales rep's
customers, a dealer user's customers, and the portal roles that follow from them.

Roles are computed once per request and kept on the user object the request carries, so the
navigation, the view's access check and its queries ask the database once.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.money import ZERO, quantize_money
from crm.models import Address, Contact, Customer
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


def user_ids_in_role(role: str) -> list[int]:
    """The active users of a role's group (crm.roles), e.g. everyone in Finance."""
    return list(
        get_user_model()
        ._default_manager.filter(groups__name=role, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def customer_portal_user_ids(*, customer_ids: Iterable[int]) -> dict[int, list[int]]:
    """The active dealer users acting for each customer (portal and API), in one query."""
    rows = (
        Customer.users.through.objects.filter(customer_id__in=list(customer_ids), user__is_active=True)
        .order_by("customer_id", "user_id")
        .values_list("customer_id", "user_id")
    )
    users: dict[int, list[int]] = defaultdict(list)
    for customer_id, user_id in rows:
        users[customer_id].append(user_id)
    return dict(users)


# A contact whose role names one of these words receives invoices and reminders (Contact.role is free
# text: "Billing", "Accounts payable", "Finance manager", "财务"…).
BILLING_ROLE_WORDS = ("billing", "accounts", "accounting", "finance", "财务", "会计")


def _is_billing(role: str) -> bool:
    role = role.casefold()
    return any(word in role for word in BILLING_ROLE_WORDS)


def customer_billing_emails(*, customer_ids: Iterable[int]) -> dict[int, list[str]]:
    """Where each customer's reminders go, in one query: the e-mail addresses of its billing contacts
    (BILLING_ROLE_WORDS in their role); failing those, its primary contact's; failing that, nobody
    (the reminder then reaches only the rep and finance). Customers without an address are left out.
    """
    contacts: dict[int, list[Contact]] = defaultdict(list)
    for contact in (
        Contact.objects.filter(customer_id__in=list(customer_ids))
        .exclude(email="")
        .only("customer_id", "role", "email", "is_primary")
        .order_by("customer_id", "-is_primary", "pk")
    ):
        contacts[contact.customer_id].append(contact)
    emails = {}
    for customer_id, rows in contacts.items():
        chosen = [c.email for c in rows if _is_billing(c.role)] or [c.email for c in rows if c.is_primary]
        if chosen:
            emails[customer_id] = list(dict.fromkeys(chosen))
    return emails


@dataclass(frozen=True)
class CreditCheck:
    """Where an order of `extra` would leave a customer's credit (from the figures finance keeps current).

    `available` is what remains under the limit after the exposure and the order (negative: over by
    that much). `overdue_days` counts from the oldest overdue due date that is not in dispute;
    `overdue_too_long` is true past settings.CREDIT_OVERDUE_DAYS_LIMIT days. `messages` are the
    translated warnings a quote shows; empty when the order fits.
    """

    limit: Decimal
    exposure: Decimal
    extra: Decimal
    available: Decimal
    over_limit: bool
    overdue_balance: Decimal
    overdue_days: int
    overdue_too_long: bool
    on_hold: bool
    hold_reason: str
    messages: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.over_limit or self.overdue_too_long or self.on_hold)


def customer_credit_check(
    *, customer: Customer, extra_amount=ZERO, today: dt.date | None = None
) -> CreditCheck:
    """Check an order of `extra_amount` against the customer's credit limit, overdue invoices and hold.

    Reads the customer row as given (no query). The exposure finance keeps already includes the
    customer's submitted orders: pass the amount of a new order (a quote), not of one already submitted.
    A credit limit of 0 means no limit is set (walk-in and online customers): never over it, as for
    the review rules' credit fact (orders.review).
    """
    today = today or timezone.localdate()
    extra = quantize_money(extra_amount or ZERO)
    limit, exposure = customer.credit_limit, customer.credit_exposure
    available = quantize_money(limit - exposure - extra)
    over_limit = limit > 0 and available < 0
    overdue_days = (today - customer.overdue_since).days if customer.overdue_since else 0
    max_days = settings.CREDIT_OVERDUE_DAYS_LIMIT
    overdue_too_long = customer.overdue_balance > 0 and overdue_days > max_days
    messages = []
    if customer.credit_hold:
        messages.append(
            _("%(customer)s is on credit hold: %(reason)s. Finance must release the order.")
            % {"customer": customer.name, "reason": customer.credit_hold_reason}
        )
    if over_limit:
        messages.append(
            _(
                "This order takes %(customer)s over its credit limit of %(limit)s %(currency)s by "
                "%(over)s (open invoices and orders: %(exposure)s). It may need finance approval."
            )
            % {
                "customer": customer.name,
                "limit": limit,
                "currency": customer.currency,
                "over": -available,
                "exposure": exposure,
            }
        )
    if overdue_too_long:
        messages.append(
            _(
                "%(customer)s has %(amount)s %(currency)s overdue for %(days)d days (more than %(max)d). "
                "The order may need finance approval."
            )
            % {
                "customer": customer.name,
                "amount": customer.overdue_balance,
                "currency": customer.currency,
                "days": overdue_days,
                "max": max_days,
            }
        )
    return CreditCheck(
        limit=limit,
        exposure=exposure,
        extra=extra,
        available=available,
        over_limit=over_limit,
        overdue_balance=customer.overdue_balance,
        overdue_days=overdue_days,
        overdue_too_long=overdue_too_long,
        on_hold=customer.credit_hold,
        hold_reason=customer.credit_hold_reason,
        messages=messages,
    )


def address_list_for_customer(*, customer_id: int) -> QuerySet[Address]:
    """The customer's saved addresses, the default shipping address first."""
    return Address.objects.filter(customer_id=customer_id).order_by("-is_default_shipping", "pk")
