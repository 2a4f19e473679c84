import pytest
from django.contrib.auth.models import Group

from crm.roles import ORDER_MANAGER
from crm.services import roles_sync
from crm.tests.factories import UserFactory, dealer_user


@pytest.fixture
def roles(db):
    """The role groups. `migrate` (and a transactional test's flush) made them: see crm.apps."""
    if not Group.objects.filter(name=ORDER_MANAGER).exists():
        roles_sync()


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
