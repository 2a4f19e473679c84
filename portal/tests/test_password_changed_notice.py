""" "Your password was changed" mails (ASVS 2.5.5), sent by a worker after a change on the portal's
password page or with a reset link. On main no such mail existed: every test here failed there."""

import re

import pytest
from django.core import mail
from django.test import Client

from core.models import OutboxEvent
from portal.tests.conftest import make_user, run_workers

CHANGE = "/portal/account/password/"
NEW = "tqv7-kzm4-wx-long"


@pytest.fixture
def walter(db):
    return make_user("walter", email="walter@example.com")


def notices():
    return list(OutboxEvent.objects.filter(name="user.password_changed"))


@pytest.mark.django_db
def test_a_change_on_the_account_page_mails_when_and_from_where_after_the_request(walter):
    client = Client(REMOTE_ADDR="203.0.113.9")
    client.force_login(walter)

    response = client.post(CHANGE, {"old_password": "pass12345!", "new_password1": NEW, "new_password2": NEW})

    assert response.status_code == 302
    assert mail.outbox == []
    (event,) = notices()
    assert event.payload["user_id"] == walter.pk
    assert event.payload["via"] == "account"

    run_workers()

    (message,) = mail.outbox
    assert message.to == ["walter@example.com"]
    assert message.subject == "Your OMS portal password was changed"
    assert "changed on the account page" in message.body
    assert "From the address: 203.0.113.9" in message.body
    assert re.search(r"When: .*\d{4}.*\(", message.body)
    assert "If it was not you" in message.body
    assert "http://testserver/portal/password-reset/" in message.body


@pytest.mark.django_db
def test_a_refused_change_records_no_notice(walter):
    client = Client()
    client.force_login(walter)

    response = client.post(CHANGE, {"old_password": "wrong", "new_password1": NEW, "new_password2": NEW})
    run_workers()

    assert response.status_code == 200
    assert notices() == []
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_reset_with_the_emailed_link_is_also_notified(walter):
    client = Client()
    client.post("/portal/password-reset/", {"email": "walter@example.com"})
    run_workers()
    (link_mail,) = mail.outbox
    link = re.search(r"http://testserver(/portal/password-reset/\S+/\S+/)", link_mail.body).group(1)
    form_url = client.get(link)["Location"]
    mail.outbox.clear()

    client.post(form_url, {"new_password1": NEW, "new_password2": NEW})
    run_workers()

    (message,) = mail.outbox
    assert message.subject == "Your OMS portal password was changed"
    assert "with a password-reset link" in message.body


@pytest.mark.django_db
def test_the_notice_is_written_in_the_language_of_the_request(walter):
    client = Client()
    client.cookies["django_language"] = "zh-hans"
    client.force_login(walter)

    client.post(CHANGE, {"old_password": "pass12345!", "new_password1": NEW, "new_password2": NEW})

    assert notices()[0].payload["language"] == "zh-hans"
