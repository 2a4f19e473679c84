"""restapi/migrations/0002_move_content_types.py: permissions on the moved models survive the move.

The whole move (old commit migrated and seeded, then this branch migrated on the same database) was
also run by hand for issue #6; these tests pin the content-type step that makes permissions survive.
"""

import importlib

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection

MOVE = importlib.import_module("restapi.migrations.0002_move_content_types")


class _Editor:
    connection = connection


def _perms(holder) -> set[str]:
    return {
        f"{app}.{codename}" for app, codename in holder.values_list("content_type__app_label", "codename")
    }


@pytest.fixture
def clear_content_type_cache():
    ContentType.objects.clear_cache()
    yield
    ContentType.objects.clear_cache()


@pytest.mark.django_db
@pytest.mark.usefixtures("clear_content_type_cache")
def test_content_types_under_core_are_renamed_and_keep_their_groups_and_users():
    # given the content types as they were before the move, held by a group and a user
    MOVE.backwards(apps, _Editor())
    token_type = ContentType.objects.get(app_label="core", model="apitoken")
    group = Group.objects.create(name="Integrators")
    group.permissions.add(Permission.objects.get(content_type=token_type, codename="add_apitoken"))
    user = get_user_model().objects.create_user(username="auditor", password="x-pass-12345")
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="core", codename="view_idempotencykey")
    )

    # when the migration runs
    MOVE.forwards(apps, _Editor())

    # then the same rows now belong to restapi, and so do the permissions held on them
    assert ContentType.objects.get(pk=token_type.pk).app_label == "restapi"
    assert not ContentType.objects.filter(app_label="core", model__in=MOVE.MODELS).exists()
    assert _perms(group.permissions) == {"restapi.add_apitoken"}
    assert _perms(user.user_permissions) == {"restapi.view_idempotencykey"}
    assert get_user_model().objects.get(pk=user.pk).has_perm("restapi.view_idempotencykey")


@pytest.mark.django_db
@pytest.mark.usefixtures("clear_content_type_cache")
def test_a_restapi_content_type_made_meanwhile_takes_over_cores_grants():
    # given restapi's rows exist already (post_migrate ran) and core's old rows are still held by a group
    old_type = ContentType.objects.create(app_label="core", model="apitoken")
    old_view = Permission.objects.create(content_type=old_type, codename="view_apitoken", name="Can view")
    old_extra = Permission.objects.create(content_type=old_type, codename="audit_apitoken", name="Can audit")
    group = Group.objects.create(name="Integrators")
    group.permissions.add(old_view, old_extra)

    # when the migration runs
    MOVE.forwards(apps, _Editor())

    # then the group holds restapi's permissions and core's row is gone
    assert not ContentType.objects.filter(app_label="core", model="apitoken").exists()
    assert _perms(group.permissions) == {"restapi.view_apitoken", "restapi.audit_apitoken"}
    assert Permission.objects.filter(content_type__app_label="restapi", codename="view_apitoken").count() == 1
