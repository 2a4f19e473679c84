"""The move of pricing's models out of finance keeps their content types, hence every permission.

The whole upgrade from a database with today's data is checked by scripts/check_upgrade.sh.
"""

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection

MOVE = importlib.import_module("pricing.migrations.0001_initial")


class _Editor:
    connection = connection


@pytest.fixture
def clear_content_type_cache():
    yield
    ContentType.objects.clear_cache()


@pytest.mark.django_db
@pytest.mark.usefixtures("clear_content_type_cache")
def test_a_finance_content_type_is_renamed_keeping_its_permissions_and_their_groups():
    ContentType.objects.filter(app_label="pricing", model="shippingrate").delete()
    old = ContentType.objects.create(app_label="finance", model="shippingrate")
    permission = Permission.objects.create(
        content_type=old, codename="change_shippingrate", name="Can change"
    )
    group = Group.objects.create(name="Auditors")
    group.permissions.add(permission)

    MOVE.content_types_to_pricing(apps, _Editor())

    old.refresh_from_db()
    assert old.app_label == "pricing"
    assert list(group.permissions.values_list("pk", "content_type__app_label")) == [
        (permission.pk, "pricing")
    ]


@pytest.mark.django_db
@pytest.mark.usefixtures("clear_content_type_cache")
def test_when_both_content_types_exist_the_groups_move_to_pricings_permission_and_finances_goes():
    old = ContentType.objects.create(app_label="finance", model="tierdiscount")
    old_permission = Permission.objects.create(
        content_type=old, codename="view_tierdiscount", name="Can view"
    )
    group = Group.objects.create(name="Auditors")
    group.permissions.add(old_permission)

    MOVE.content_types_to_pricing(apps, _Editor())

    assert not ContentType.objects.filter(app_label="finance", model="tierdiscount").exists()
    assert list(group.permissions.values_list("content_type__app_label", "codename")) == [
        ("pricing", "view_tierdiscount")
    ]


@pytest.mark.django_db
@pytest.mark.usefixtures("clear_content_type_cache")
def test_the_rename_is_reversible():
    MOVE.content_types_to_finance(apps, _Editor())

    assert set(ContentType.objects.filter(app_label="finance").values_list("model", flat=True)) >= set(
        MOVE.MODELS
    )
    assert not ContentType.objects.filter(app_label="pricing").exists()
