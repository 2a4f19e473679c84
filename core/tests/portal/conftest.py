import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from core.tests.portal.urls import TOKEN_GROUP


@pytest.fixture(autouse=True)
def _core_portal_urls(settings):
    settings.ROOT_URLCONF = "core.tests.portal.urls"


def make_user(username: str, *groups: str, **extra):
    user = get_user_model().objects.create_user(username=username, password="pass12345!", **extra)
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


@pytest.fixture
def token_user(db):
    return make_user("dealer-ann", TOKEN_GROUP)


@pytest.fixture
def plain_user(db):
    return make_user("walter")
