import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from config.celery import app as celery_app
from core.outbox import outbox_relay


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


def run_workers() -> None:
    """Do what the outbox relay and the Celery workers would: hand every pending event to its
    listeners, whose tasks run here and now (the reset and password-change mails are sent this way)."""
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        outbox_relay(grace_seconds=0)
    finally:
        celery_app.conf.task_always_eager = saved
