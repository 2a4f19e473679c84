"""The workers' side of the password mails (issue #7): crm.services.user_password_reset_send and
user_password_change_notify act once per event id, and an administrator's change in the admin is
notified too (ASVS 2.5.5). None of this existed on main."""

import uuid

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import Client
from django.utils import timezone

from config.celery import app as celery_app
from core.models import OutboxEvent
from core.outbox import outbox_relay
from crm.services import user_password_change_notify, user_password_reset_send
from crm.tests.factories import UserFactory

TARGET = {"domain": "oms.example.com", "protocol": "https", "language": "en"}


def run_workers():
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        outbox_relay(grace_seconds=0)
    finally:
        celery_app.conf.task_always_eager = saved


@pytest.mark.django_db
def test_the_worker_builds_a_working_link_and_sends_once_per_event_id():
    user = UserFactory(username="walter")
    event_id = uuid.uuid4()

    sent = [user_password_reset_send(user_id=user.pk, event_id=event_id, **TARGET) for _ in range(2)]

    assert sent == [True, False]
    (message,) = mail.outbox
    uid, token = (
        message.body.split("https://oms.example.com/portal/password-reset/")[1].split()[0].split("/")[:2]
    )
    assert default_token_generator.check_token(user, token)


@pytest.mark.django_db
@pytest.mark.parametrize("change", [{"is_active": False}, {"email": ""}, {"password": "!unusable"}])
def test_no_reset_mail_for_an_account_that_can_no_longer_use_it(change):
    user = UserFactory()
    type(user).objects.filter(pk=user.pk).update(**change)

    assert user_password_reset_send(user_id=user.pk, event_id=uuid.uuid4(), **TARGET) is False
    assert mail.outbox == []


@pytest.mark.django_db
def test_the_change_notice_is_sent_once_per_event_id():
    user = UserFactory(username="walter")
    event_id = uuid.uuid4()
    args = {"via": "account", "changed_at": timezone.now().isoformat(), "client_address": "203.0.113.9"}

    sent = [
        user_password_change_notify(user_id=user.pk, event_id=event_id, **args, **TARGET) for _ in range(2)
    ]

    assert sent == [True, False]
    (message,) = mail.outbox
    assert "From the address: 203.0.113.9" in message.body
    assert "https://oms.example.com/portal/password-reset/" in message.body


@pytest.fixture
def admin_client(db):
    admin = UserFactory(username="boss", is_staff=True, is_superuser=True)
    client = Client(REMOTE_ADDR="198.51.100.20")
    client.force_login(admin)
    return client


def test_an_administrators_change_in_the_admin_is_mailed_to_the_user(admin_client):
    user = UserFactory(username="walter")
    new = "tqv7-kzm4-wx-long"

    response = admin_client.post(
        f"/admin/auth/user/{user.pk}/password/",
        {"password1": new, "password2": new, "usable_password": "true"},
    )
    assert mail.outbox == []
    run_workers()

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)
    (message,) = mail.outbox
    assert message.to == [user.email]
    assert "An administrator changed the password" in message.body
    assert "From the address: 198.51.100.20" in message.body


def test_a_refused_admin_change_records_no_notice(admin_client):
    user = UserFactory(username="walter")

    response = admin_client.post(
        f"/admin/auth/user/{user.pk}/password/",
        {"password1": "tqv7-kzm4-wx-long", "password2": "something-else-9", "usable_password": "true"},
    )

    assert response.status_code == 200
    assert not OutboxEvent.objects.filter(name="user.password_changed").exists()


def test_the_admins_own_password_page_is_the_portals_which_mails_the_notice(admin_client):
    response = admin_client.get("/admin/password_change/")

    assert (response.status_code, response["Location"]) == (302, "/portal/account/password/")
