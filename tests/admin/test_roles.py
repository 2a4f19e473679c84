"""The role groups made by core/migrations/0002_roles.py."""

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.db import connection

ROLES_MIGRATION = importlib.import_module("core.migrations.0002_roles")
VAC = ("view", "add", "change")


class _Editor:
    connection = connection


def _perms(app: str, models, actions) -> set[str]:
    return {f"{app}.{action}_{model}" for model in models for action in actions}


def _group_perms(name: str) -> set[str]:
    return {
        f"{app}.{codename}"
        for app, codename in Group.objects.get(name=name).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


ORDERS = ("order", "orderline", "orderevent")
CRM = ("customer", "contact", "address")
INVENTORY = ("category", "product", "productoption", "productoptionvalue", "warehouse", "stocklevel")
FINANCE = ("invoice", "payment")
PRICING = ("tierdiscount", "customerprice", "shippingrate")
PRODUCTION = ("plant", "workorder")
LOGISTICS = ("carrier", "shipment", "shipmentline", "trackingevent")
WEBHOOKS = ("webhookendpoint", "webhookdelivery", "webhookattempt")
WORKFLOW = {
    f"orders.{c}"
    for c in ("review_order", "hold_order", "cancel_order", "fulfil_order", "ship_order", "complete_order")
}

EXPECTED = {
    "Order manager": (
        _perms("orders", ORDERS, VAC)
        | _perms("crm", CRM, VAC)
        | _perms("inventory", INVENTORY, VAC)
        | WORKFLOW
        | _perms("finance", FINANCE, ["view"])
        | _perms("pricing", PRICING, ["view"])
        | _perms("logistics", LOGISTICS, ["view"])
        | _perms("production", PRODUCTION, ["view"])
        | _perms("core", ["apitoken"], VAC)
        | _perms("core", ["sequence", "idempotencykey"], ["view"])
        | {"analytics.view_dailysales"}
        | _perms("webhooks", WEBHOOKS, ["view", "change"])
    ),
    "Sales rep": (
        _perms("orders", ORDERS, ["view"])
        | {"orders.add_order"}
        | _perms("crm", CRM, ["view"])
        | {"crm.add_contact", "crm.change_contact", "inventory.view_product", "inventory.view_stocklevel"}
    ),
    "Production scheduler": (
        _perms("orders", ORDERS, ["view"])
        | {"orders.fulfil_order"}
        | _perms("production", PRODUCTION, VAC)
        | _perms("inventory", INVENTORY, ["view"])
    ),
    "Logistics specialist": (
        _perms("orders", ORDERS, ["view"])
        | {"orders.ship_order"}
        | _perms("logistics", LOGISTICS, VAC)
        | {"inventory.view_stocklevel", "inventory.view_warehouse"}
    ),
    "Finance": (
        _perms("orders", ORDERS, ["view"])
        | {"orders.hold_order"}
        | _perms("finance", FINANCE, VAC)
        | _perms("pricing", PRICING, VAC)
        | {"crm.view_customer", "crm.change_customer"}
    ),
    "Dealer": set(),
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_groups_exist_after_migrate_with_their_permissions(name):
    assert _group_perms(name) == EXPECTED[name]


@pytest.mark.django_db
def test_running_the_roles_migration_again_changes_nothing():
    before = {name: _group_perms(name) for name in EXPECTED}

    ROLES_MIGRATION.sync_roles(apps, _Editor())

    assert Group.objects.filter(name__in=EXPECTED).count() == len(EXPECTED)
    assert {name: _group_perms(name) for name in EXPECTED} == before


@pytest.mark.django_db
def test_reversing_the_roles_migration_deletes_the_groups_only():
    Group.objects.create(name="Auditors")

    ROLES_MIGRATION.delete_roles(apps, _Editor())

    assert list(Group.objects.values_list("name", flat=True)) == ["Auditors"]
