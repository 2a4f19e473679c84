"""The notification service: once per (fact, person), e-mail after commit, retried, never rolling back."""

import datetime as dt
import smtplib

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from core.models import MailStatus, Notification
from core.notifications import (
    MAX_MAIL_ATTEMPTS,
    notification_list_for_user,
    notification_mark_read,
    notification_render,
    notification_send,
    notification_unread_count,
    notifications_send_due,
    notify,
)

pytestmark = pytest.mark.django_db
_users = iter(range(1, 10**6))


def UserFactory(*, email=None, is_active=True):  # noqa: N802  (core sits below crm and its factories)
    number = next(_users)
    return get_user_model().objects.create_user(
        username=f"u{number}",
        email=f"u{number}@example.com" if email is None else email,
        is_active=is_active,
    )


TEMPLATES = {
    "notifications/test.greeting.subject.txt": (
        "{% load i18n %}{% blocktranslate %}Order {{ number }} approved{% endblocktranslate %}"
    ),
    "notifications/test.greeting.txt": "{% load i18n %}{% translate 'Status' %}: {{ number }}\n{{ link }}",
}


@pytest.fixture(autouse=True)
def _templates(settings):
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "loaders": [("django.template.loaders.locmem.Loader", TEMPLATES)],
                "context_processors": [],
            },
        }
    ]
    settings.SITE_BASE_URL = "https://oms.example.com"


def _notify(**kwargs):
    defaults = {"kind": "test.greeting", "key": "order.approved:1", "context": {"number": "SO-1"}}
    defaults.update(kwargs)
    return notify(**defaults)


def test_notify_writes_one_notice_per_recipient_and_announces_it(emitted, django_capture_on_commit_callbacks):
    rep, dealer = UserFactory(email="rep@example.com"), UserFactory(email="")
    with django_capture_on_commit_callbacks(execute=True):
        rows = _notify(users=[rep, dealer.pk, rep], emails=["Billing@Customer.cn", "billing@customer.cn"])
    assert len(rows) == 3
    by_recipient = {n.recipient: n for n in Notification.objects.all()}
    assert set(by_recipient) == {f"user:{rep.pk}", f"user:{dealer.pk}", "mail:billing@customer.cn"}
    assert by_recipient[f"user:{dealer.pk}"].mail_status == MailStatus.NONE  # no address: in-app only
    assert by_recipient[f"user:{rep.pk}"].mail_status == MailStatus.PENDING
    assert [name for name, _payload in emitted] == ["notification.created"]


def test_notifying_the_same_fact_again_notifies_nobody_twice(emitted, django_capture_on_commit_callbacks):
    rep = UserFactory(email="rep@example.com")
    _notify(users=[rep])
    with django_capture_on_commit_callbacks(execute=True):
        again = _notify(users=[rep])
    assert again == []
    assert Notification.objects.count() == 1
    assert emitted == []


def test_inactive_users_are_not_notified():
    gone = UserFactory(email="gone@example.com", is_active=False)
    assert _notify(users=[gone]) == []


def test_notices_roll_back_with_the_decision(emitted, django_capture_on_commit_callbacks):
    rep = UserFactory(email="rep@example.com")

    def decide_then_fail():
        with transaction.atomic():
            _notify(users=[rep])
            raise RuntimeError("the decision failed")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        decide_then_fail()
    assert not Notification.objects.exists()
    assert emitted == []


def test_send_mails_each_notice_once_in_its_language_with_an_absolute_link():
    rep = UserFactory(email="rep@example.com")
    _notify(users=[rep], emails=["billing@customer.cn"], link="/portal/orders/SO-1/", language="zh-hans")
    assert notification_send(key="order.approved:1") == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["billing@customer.cn", "rep@example.com"]
    message = mail.outbox[0]
    assert "SO-1" in message.subject
    assert "https://oms.example.com/portal/orders/SO-1/" in message.body
    assert "状态" in message.body  # "Status" in Simplified Chinese
    assert set(Notification.objects.values_list("mail_status", flat=True)) == {MailStatus.SENT}
    # A second run (redelivered event, sweep) sends nothing more.
    assert notification_send(key="order.approved:1") == 0
    assert notifications_send_due().handled == 0
    assert len(mail.outbox) == 2


def test_a_mail_failure_is_recorded_and_retried_with_backoff(monkeypatch):
    rep = UserFactory(email="rep@example.com")
    _notify(users=[rep])

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("mail server down")

    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
        notification_send(key="order.approved:1")
    notice = Notification.objects.get()
    assert notice.mail_status == MailStatus.PENDING
    assert notice.mail_attempts == 1
    assert "mail server down" in notice.mail_error
    assert notice.mail_next_attempt_at > timezone.now()
    # Not due before its backoff is over; then the sweep sends it.
    assert notifications_send_due().handled == 0
    monkeypatch.undo()
    Notification.objects.update(mail_next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
    assert notifications_send_due().handled == 1
    notice.refresh_from_db()
    assert notice.mail_status == MailStatus.SENT
    assert len(mail.outbox) == 1


def test_a_mail_that_keeps_failing_gives_up_and_says_so(monkeypatch):
    _notify(emails=["billing@customer.cn"])
    Notification.objects.update(mail_attempts=MAX_MAIL_ATTEMPTS - 1)

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({"billing@customer.cn": (550, b"no such user")})

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    notification_send(key="order.approved:1")
    notice = Notification.objects.get()
    assert notice.mail_status == MailStatus.FAILED
    assert notice.mail_next_attempt_at is None


def test_a_claim_left_by_a_dead_worker_is_taken_over_after_it_expires():
    _notify(emails=["billing@customer.cn"])
    Notification.objects.update(mail_status=MailStatus.SENDING, mail_claimed_at=timezone.now())
    assert notifications_send_due().handled == 0  # another worker is sending it
    Notification.objects.update(mail_claimed_at=timezone.now() - dt.timedelta(hours=1))
    assert notifications_send_due().handled == 1
    assert len(mail.outbox) == 1


def test_in_app_notices_are_the_readers_own_and_render_in_the_readers_language():
    rep, other = UserFactory(), UserFactory()
    _notify(users=[rep, other], language="en")
    (notice,) = notification_list_for_user(user=rep)
    assert notification_render(notice, language="zh-hans").body.startswith("状态")
    assert notification_unread_count(user=rep) == 1
    assert notification_mark_read(user=other, notification_id=notice.pk) == 0  # not theirs
    assert notification_mark_read(user=rep) == 1
    assert notification_unread_count(user=rep) == 0
    assert notification_unread_count(user=other) == 1


def test_many_facts_are_notified_in_a_fixed_number_of_queries(django_assert_max_num_queries):
    from core.notifications import notify_many  # noqa: PLC0415

    users = [UserFactory() for _ in range(3)]
    notices = [
        {"kind": "test.greeting", "key": f"invoice.reminder:{n}:1", "users": users, "emails": [f"b{n}@x.cn"]}
        for n in range(40)
    ]
    # users, notified already, savepoint, insert, outbox event, release (SQLite splits the insert)
    with django_assert_max_num_queries(6 if connection.vendor == "postgresql" else 9):
        rows = notify_many(notices)
    assert len(rows) == 160
    assert Notification.objects.count() == 160
    # and again: nothing new, still bounded
    with django_assert_max_num_queries(4):
        assert notify_many(notices) == []
