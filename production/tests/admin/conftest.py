import pytest
from django.contrib.auth.models import Group

from crm.roles import ORDER_MANAGER, PRODUCTION_SCHEDULER
from crm.services import roles_sync
from crm.tests.factories import UserFactory
from production.services import scheduling
from production.tests.factories import make_production_setup, next_monday


@pytest.fixture
def roles(db):
    if not Group.objects.filter(name=PRODUCTION_SCHEDULER).exists():
        roles_sync()


def _staff(group: str, username: str):
    user = UserFactory(is_staff=True, username=username)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def scheduler_client(client, roles):
    client.force_login(_staff(PRODUCTION_SCHEDULER, "scheduler"))
    return client


@pytest.fixture
def manager_client(client, roles):
    client.force_login(_staff(ORDER_MANAGER, "manager"))
    return client


@pytest.fixture
def monday(monkeypatch):
    day = next_monday()
    monkeypatch.setattr(scheduling, "_today", lambda: day)
    return day


@pytest.fixture
def setup(db, monday):
    return make_production_setup(units_per_day=4)
