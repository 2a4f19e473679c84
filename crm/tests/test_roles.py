"""The role groups of crm/roles.py, applied by `manage.py sync_roles`, which `migrate` runs."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal

from crm import apps as crm_apps
from crm import services
from crm.services import roles_sync

ROOT = Path(__file__).resolve().parents[2]
VAC = ("view", "add", "change")


def _perms(app: str, models, actions) -> set[str]:
    return {f"{app}.{action}_{model}" for model in models for action in actions}


def _group_perms(name: str) -> set[str]:
    return {
        f"{app}.{codename}"
        for app, codename in Group.objects.get(name=name).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


ORDERS = ("order", "orderline", "orderevent", "priorityfactor")
# Review rules and the approvals given (issue #9): rules kept by the sales director, approvals read-only.
REVIEW = ("reviewrule", "orderapproval")
ALL_ORDERS = ORDERS + REVIEW
CRM = ("customer", "contact", "address", "customercreditevent")
INVENTORY = (
    "category",
    "product",
    "productoption",
    "productoptionvalue",
    "warehouse",
    "stocklevel",
    "stockmovement",
    "stocktransfer",
    "stockalert",
    "warehouseshippingcost",
    "expectedreceipt",
)
TRANSFERS = {"inventory.ship_stocktransfer", "inventory.receive_stocktransfer"}
FINANCE = ("invoice", "payment", "dunninglevel", "invoicereminder")
PRICING = ("tierdiscount", "customerprice", "shippingrate")
PRODUCTION = (
    "productfamily",
    "familycategory",
    "plant",
    "plantday",
    "productionline",
    "routingstage",
    "bomline",
    "workorder",
    "workorderload",
    "workorderstage",
    "workordermaterial",
    "workorderevent",
    "shopfloordevice",
    "shopfloorevent",
    "productionbatch",
    "serialnumber",
)
LOGISTICS = ("carrier", "shipment", "shipmentline", "trackingevent")
WEBHOOKS = ("webhookendpoint", "webhookdelivery", "webhookattempt")
WORKFLOW = {
    f"orders.{c}"
    for c in ("review_order", "hold_order", "cancel_order", "fulfil_order", "ship_order", "complete_order")
}

EXPECTED = {
    "Order manager": (
        _perms("orders", ORDERS, VAC)
        | _perms("orders", REVIEW, ["view"])
        | _perms("crm", CRM, VAC)
        | _perms("inventory", INVENTORY, VAC)
        | WORKFLOW
        | TRANSFERS
        | _perms("finance", FINANCE, ["view"])
        | _perms("pricing", PRICING, ["view"])
        | _perms("logistics", LOGISTICS, ["view"])
        | _perms("production", PRODUCTION, ["view"])
        | _perms("restapi", ["apitoken"], VAC)
        | {"core.view_sequence", "core.view_outboxevent", "restapi.view_idempotencykey"}
        | {"analytics.view_dailysales"}
        | _perms("webhooks", WEBHOOKS, ["view", "change"])
    ),
    "Sales director": (
        _perms("orders", ALL_ORDERS, ["view"])
        | {"orders.add_reviewrule", "orders.change_reviewrule"}
        | {"orders.review_order", "orders.hold_order"}
        | _perms("crm", CRM, ["view"])
        | {"inventory.view_product", "inventory.view_stocklevel"}
        | _perms("pricing", PRICING, ["view"])
        | _perms("finance", FINANCE, ["view"])
        | {"analytics.view_dailysales"}
    ),
    "Sales rep": (
        _perms("orders", ALL_ORDERS, ["view"])
        | {"orders.add_order"}
        | _perms("crm", CRM, ["view"])
        | {"crm.add_contact", "crm.change_contact", "inventory.view_product", "inventory.view_stocklevel"}
    ),
    "Production scheduler": (
        _perms("orders", ALL_ORDERS, ["view"])
        | {"orders.fulfil_order", "orders.review_order", "production.progress_workorder"}
        | _perms("production", PRODUCTION, VAC)
        | _perms("inventory", INVENTORY, ["view"])
    ),
    "Plant supervisor": (
        _perms("production", ("workorder", "workorderstage", "plant"), ["view"])
        | {"production.progress_workorder"}
    ),
    "Logistics specialist": (
        _perms("orders", ALL_ORDERS, ["view"])
        | {"orders.ship_order"}
        | _perms("logistics", LOGISTICS, VAC)
        | {"inventory.view_stocklevel", "inventory.view_stockmovement", "inventory.view_warehouse"}
        | _perms("inventory", ["stocktransfer"], VAC)
        | _perms("inventory", ["expectedreceipt"], VAC)
        | TRANSFERS
    ),
    "Finance": (
        _perms("orders", ALL_ORDERS, ["view"])
        | {"orders.hold_order", "orders.review_order"}
        | _perms("finance", FINANCE, VAC)
        | _perms("pricing", PRICING, VAC)
        | {"crm.view_customer", "crm.change_customer", "crm.view_customercreditevent"}
        | {"crm.credit_hold_customer"}
    ),
    "Dealer": set(),
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_groups_exist_after_migrate_with_their_permissions(name):
    assert _group_perms(name) == EXPECTED[name]


@pytest.mark.django_db
def test_syncing_the_roles_again_changes_nothing():
    before = {name: _group_perms(name) for name in EXPECTED}

    changes = roles_sync()

    assert Group.objects.filter(name__in=EXPECTED).count() == len(EXPECTED)
    assert {name: _group_perms(name) for name in EXPECTED} == before
    assert set(changes.values()) == {(0, 0)}


@pytest.mark.django_db
def test_pruning_withdraws_permissions_no_longer_listed_and_grants_missing_ones():
    finance = Group.objects.get(name="Finance")
    finance.permissions.add(Permission.objects.get(codename="delete_invoice"))
    finance.permissions.remove(Permission.objects.get(codename="view_invoice"))

    changes = roles_sync(prune=True)

    assert _group_perms("Finance") == EXPECTED["Finance"]
    assert changes["Finance"] == (1, 1)


@pytest.mark.django_db
def test_a_plain_sync_keeps_what_an_administrator_granted_by_hand():
    finance = Group.objects.get(name="Finance")
    finance.permissions.add(Permission.objects.get(codename="delete_invoice"))
    finance.permissions.remove(Permission.objects.get(codename="view_invoice"))

    changes = roles_sync()

    assert _group_perms("Finance") == EXPECTED["Finance"] | {"finance.delete_invoice"}
    assert changes["Finance"] == (1, 0)


@pytest.mark.django_db
def test_the_command_prunes_only_when_asked():
    rep_group = Group.objects.get(name="Sales rep")
    rep_group.permissions.add(Permission.objects.get(codename="view_invoice"))

    call_command("sync_roles", verbosity=0)
    kept = _group_perms("Sales rep")
    call_command("sync_roles", "--prune", verbosity=0)

    assert "finance.view_invoice" in kept
    assert _group_perms("Sales rep") == EXPECTED["Sales rep"]


@pytest.mark.django_db
def test_sync_creates_a_missing_role_group():
    Group.objects.filter(name="Sales rep").delete()

    roles_sync()

    assert _group_perms("Sales rep") == EXPECTED["Sales rep"]


@pytest.mark.django_db
def test_sync_leaves_other_groups_alone():
    auditors = Group.objects.create(name="Auditors")
    auditors.permissions.add(Permission.objects.get(codename="delete_invoice"))

    roles_sync()

    assert set(auditors.permissions.values_list("codename", flat=True)) == {"delete_invoice"}
    assert set(Group.objects.values_list("name", flat=True)) == set(EXPECTED) | {"Auditors"}


@pytest.mark.django_db
def test_a_role_naming_an_unknown_permission_is_refused_and_nothing_changes(monkeypatch):
    before = {name: _group_perms(name) for name in EXPECTED}
    monkeypatch.setitem(services.ROLES, "Order manager", frozenset({"orders.fly_order"}))
    monkeypatch.setitem(services.ROLES, "Sales rep", frozenset())

    with pytest.raises(ImproperlyConfigured, match="orders.fly_order"):
        roles_sync()

    assert {name: _group_perms(name) for name in EXPECTED} == before


@pytest.mark.django_db
def test_the_sync_roles_command_restores_the_roles():
    Group.objects.get(name="Logistics specialist").permissions.clear()

    call_command("sync_roles", verbosity=0)

    assert _group_perms("Logistics specialist") == EXPECTED["Logistics specialist"]


@pytest.mark.django_db
def test_migrate_syncs_the_roles_once_at_its_end(monkeypatch):
    calls = []
    monkeypatch.setattr(crm_apps, "call_command", lambda *args, **kwargs: calls.append((args, kwargs)))

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    assert calls == [(("sync_roles",), {"database": "default", "verbosity": 0})]


@pytest.mark.django_db
def test_migrate_restores_a_role_that_lost_its_permissions():
    Group.objects.get(name="Order manager").permissions.clear()

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    assert _group_perms("Order manager") == EXPECTED["Order manager"]


@pytest.mark.django_db
def test_migrate_keeps_a_grant_an_administrator_added():
    Group.objects.get(name="Sales rep").permissions.add(Permission.objects.get(codename="view_invoice"))

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    assert "finance.view_invoice" in _group_perms("Sales rep")


@pytest.mark.django_db
def test_a_database_not_fully_migrated_leaves_the_roles_alone(monkeypatch):
    calls = []
    monkeypatch.setattr(crm_apps, "call_command", lambda *args, **kwargs: calls.append((args, kwargs)))
    monkeypatch.setattr(crm_apps, "_fully_migrated", lambda using: False)

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    assert calls == []


def test_migrating_part_of_the_way_on_a_new_database_succeeds(tmp_path):
    # `migrate <app> <migration>` leaves other apps' permissions uncreated: syncing then would fail.
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'partial.sqlite3'}",
        "OMS_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "orders", "0001", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert "Roles not synced: the database is not fully migrated" in result.stdout


@pytest.mark.django_db
def test_migrating_backwards_leaves_the_roles_alone(monkeypatch):
    calls = []
    monkeypatch.setattr(crm_apps, "call_command", lambda *args, **kwargs: calls.append((args, kwargs)))

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default", plan=[(object(), True)])

    assert calls == []
