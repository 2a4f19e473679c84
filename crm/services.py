"""Writes for crm. Customer master data is edited in the admin; this module holds the summaries
that higher apps keep current on the customer (STYLE.md §2: summaries are written down), and
applies the roles of crm.roles to their groups, and lifts sign-in lockouts."""

from decimal import Decimal

from axes.utils import reset as axes_reset
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils.translation import gettext as _

from core.errors import NotFound, ValidationFailed
from core.money import quantize_money
from crm.models import Customer
from crm.roles import ROLES


def customer_set_credit_exposure(*, customer_id: int, amount: Decimal) -> None:
    """Store a customer's open credit exposure (the sum of open invoice balances, computed by finance).

    Finance holds the customer's row lock while it sums the balances and calls this, so two
    payments for the same customer cannot overwrite each other with stale sums.
    Raises ValidationFailed for a negative amount, NotFound for an unknown customer.
    """
    amount = quantize_money(amount)
    if amount < 0:
        raise ValidationFailed(fields={"credit_exposure": [_("The exposure cannot be negative.")]})
    with transaction.atomic():
        if not Customer.objects.filter(pk=customer_id).update(credit_exposure=amount):
            raise NotFound()


def roles_sync(*, using: str = DEFAULT_DB_ALIAS, prune: bool = False) -> dict[str, tuple[int, int]]:
    """Give each group of crm.roles.ROLES the permissions listed for it.

    Creates missing groups and grants missing permissions. With `prune`, also withdraws what a group
    holds beyond its list (a grant an administrator added by hand, or one a newer release dropped);
    without it such grants are kept, so a deploy never takes away what an administrator gave. Groups
    not in ROLES and users' own permissions are left alone. Running it again changes nothing.
    Precondition: every app's permissions exist (post_migrate has created them).
    Returns {group name: (permissions granted, permissions withdrawn)}.
    Raises ImproperlyConfigured, writing nothing, when ROLES names a permission that does not exist.
    """
    wanted = {name: {tuple(perm.split(".", 1)) for perm in perms} for name, perms in ROLES.items()}
    app_labels = {app_label for perms in wanted.values() for app_label, _codename in perms}
    with transaction.atomic(using=using):
        existing = {
            (app_label, codename): pk
            for pk, app_label, codename in Permission.objects.using(using)
            .filter(content_type__app_label__in=app_labels)
            .values_list("pk", "content_type__app_label", "codename")
        }
        missing = set().union(*wanted.values()) - existing.keys()
        if missing:
            names = ", ".join(sorted(".".join(perm) for perm in missing))
            raise ImproperlyConfigured(f"crm.roles.ROLES names permissions that do not exist: {names}")
        changes = {}
        for name, perms in wanted.items():
            group, _created = Group.objects.using(using).get_or_create(name=name)
            held = set(group.permissions.values_list("pk", flat=True))
            target = {existing[perm] for perm in perms}
            grant, withdraw = target - held, (held - target) if prune else set()
            if grant:
                group.permissions.add(*grant)
            if withdraw:
                group.permissions.remove(*withdraw)
            changes[name] = (len(grant), len(withdraw))
    return changes


def user_sign_in_unlock(*, username: str) -> int:
    """Lift a sign-in lockout of the account `username`: forget its failed attempts (django-axes).

    Only the account's own failures are forgotten; failures from a client address under other names
    still count against that address. Unlocking an account that is not locked changes nothing.
    Returns how many attempt records were removed.
    """
    if not username:
        return 0
    with transaction.atomic():
        return axes_reset(username=username)
