"""The in-app notice list: each user reads, opens and marks their own notices."""

import json

import pytest
from django.utils import timezone

from core.models import Notification
from portal.tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _notice_templates(settings):
    """A kind of notice of the tests' own, next to the real templates."""
    (engine,) = settings.TEMPLATES
    engine = {**engine, "APP_DIRS": False, "OPTIONS": {**engine["OPTIONS"]}}
    engine["OPTIONS"]["loaders"] = [
        (
            "django.template.loaders.locmem.Loader",
            {
                "notifications/test.hold.subject.txt": "{{ customer }} is on credit hold",
                "notifications/test.hold.txt": "{{ reason }}",
            },
        ),
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
    ]
    settings.TEMPLATES = [engine]


def _notice(user, key="k1", link="/portal/", read=False):
    return Notification.objects.create(
        key=key,
        kind="test.hold",
        recipient=f"user:{user.pk}",
        user=user,
        context={"customer": "Huatai Trucks", "reason": "Final reminder unpaid"},
        link=link,
        language="en",
        read_at=timezone.now() if read else None,
    )


def test_the_list_shows_only_the_readers_notices_in_their_language(client):
    reader, other = make_user("reader"), make_user("other")
    _notice(reader)
    _notice(other, key="k2")
    client.force_login(reader)

    response = client.get("/portal/notifications/")

    assert response.status_code == 200
    assert response.content.count(b'class="notice unread"') == 1
    assert b"Huatai Trucks" in response.content


def test_opening_a_notice_marks_it_read_and_follows_its_link(client):
    reader = make_user("reader")
    notice = _notice(reader, link="/portal/orders/")
    client.force_login(reader)

    response = client.post("/portal/notifications/read/", {"notification": notice.pk})

    assert response.status_code == 302
    assert response["Location"] == "/portal/orders/"
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_someone_elses_notice_cannot_be_opened(client):
    notice = _notice(make_user("owner"))
    client.force_login(make_user("intruder"))

    response = client.post("/portal/notifications/read/", {"notification": notice.pk})

    assert response.status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None


def test_an_offsite_link_is_not_followed(client):
    reader = make_user("reader")
    notice = _notice(reader, link="https://evil.example.com/")
    client.force_login(reader)

    response = client.post("/portal/notifications/read/", {"notification": notice.pk})

    assert response["Location"] == "/portal/notifications/"


def test_mark_all_read_and_the_unread_count(client):
    reader = make_user("reader")
    _notice(reader)
    _notice(reader, key="k2")
    _notice(reader, key="k3", read=True)
    client.force_login(reader)

    assert json.loads(client.get("/portal/notifications/unread/").content) == {"unread": 2}
    client.post("/portal/notifications/read/")
    assert json.loads(client.get("/portal/notifications/unread/").content) == {"unread": 0}


def test_anonymous_visitors_are_sent_to_sign_in(client):
    assert client.get("/portal/notifications/unread/").status_code == 302
