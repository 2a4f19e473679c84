import importlib

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from crm.tests.factories import UserFactory, dealer_user

ROLES_MIGRATION = importlib.import_module("core.migrations.0002_roles")


class _Editor:
    connection = connection


@pytest.fixture
def roles(db):
    """The role groups. The migration made them; a flushing (transactional) test may have removed them."""
    from django.apps import apps

    if not Group.objects.filter(name="Order manager").exists():
        ROLES_MIGRATION.sync_roles(apps, _Editor())


def staff_in(group_name: str, **kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def manager(roles):
    return staff_in("Order manager", username="manager")


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def dealer(roles):
    return dealer_user(username="dealer")


@pytest.fixture
def dealer_client(client, dealer):
    client.force_login(dealer)
    return client
