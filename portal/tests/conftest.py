import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group


@pytest.fixture(autouse=True)
def _portal_shell_urls(settings):
    settings.ROOT_URLCONF = "portal.tests.urls"


def make_user(username: str, *groups: str, **extra):
    user = get_user_model().objects.create_user(username=username, password="pass12345!", **extra)
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


@pytest.fixture
def plain_user(db):
    return make_user("walter")
