"""Helpers for review tests: users in a role, rules written as data, an order with a total chosen."""

from decimal import Decimal

from django.contrib.auth.models import Group

from crm.roles import ORDER_MANAGER
from crm.services import roles_sync
from crm.tests.factories import UserFactory
from inventory.tests.factories import ProductFactory
from orders.models import ReviewRule
from orders.services import review_rule_save
from orders.tests.factories import make_order


def role(name: str) -> Group:
    """The role group `name` (crm.roles), synced first if a flush removed the groups."""
    if not Group.objects.filter(name=ORDER_MANAGER).exists():
        roles_sync()
    return Group.objects.get(name=name)


def staff_in(*group_names: str, **kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(*(role(name) for name in group_names))
    return user


def only_rules(*rules: ReviewRule) -> list[ReviewRule]:
    """Deactivate every other rule (the default "every order" one too); the rules given stay."""
    ReviewRule.objects.exclude(pk__in=[rule.pk for rule in rules]).update(is_active=False)
    return list(rules)


def make_rule(name: str, condition: dict, role_name: str = ORDER_MANAGER, *, level: int = 1, **kwargs):
    return review_rule_save(
        rule=ReviewRule(name=name, condition=condition, role=role(role_name), level=level, **kwargs)
    )


def total_above(amount) -> dict:
    return {"all": [{"field": "order_total", "op": "gt", "value": amount}]}


def order_worth(total, **kwargs):
    """An order of one unit of a product listed at `total` (its total adds tax and shipping)."""
    product = ProductFactory(list_price=Decimal(str(total)))
    return make_order(products=[product], **kwargs)
