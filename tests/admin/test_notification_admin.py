"""Staff read their own notices in the admin; superusers trace everyone's e-mail state."""

import pytest
from django.utils import timezone

from core.models import Notification
from crm.tests.factories import UserFactory
from tests.admin.conftest import staff_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _notice_templates(settings):
    (engine,) = settings.TEMPLATES
    engine = {**engine, "APP_DIRS": False, "OPTIONS": {**engine["OPTIONS"]}}
    engine["OPTIONS"]["loaders"] = [
        (
            "django.template.loaders.locmem.Loader",
            {
                "notifications/test.note.subject.txt": "Note about {{ order }}",
                "notifications/test.note.txt": "Body of {{ order }}",
            },
        ),
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
    ]
    settings.TEMPLATES = [engine]


def _notice(user, order):
    return Notification.objects.create(
        key=f"k:{order}",
        kind="test.note",
        recipient=f"user:{user.pk}",
        user=user,
        context={"order": order},
        language="en",
    )


def test_a_manager_sees_only_their_own_notices_and_opening_one_marks_it_read(client, roles):
    manager = staff_in("Order manager")
    mine = _notice(manager, "SO-MINE")
    _notice(UserFactory(is_staff=True), "SO-THEIRS")
    client.force_login(manager)

    listing = client.get("/admin/core/notification/")
    assert listing.status_code == 200
    assert b"Note about SO-MINE" in listing.content
    assert b"SO-THEIRS" not in listing.content

    page = client.get(f"/admin/core/notification/{mine.pk}/change/")
    assert page.status_code == 200
    assert b"Body of SO-MINE" in page.content
    mine.refresh_from_db()
    assert mine.read_at is not None


def test_someone_elses_notice_is_not_reachable(client, roles):
    manager = staff_in("Order manager")
    theirs = _notice(UserFactory(is_staff=True), "SO-THEIRS")
    client.force_login(manager)

    response = client.get(f"/admin/core/notification/{theirs.pk}/change/")

    assert response.status_code in (302, 403, 404)
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_header_links_the_notices(client, roles):
    client.force_login(staff_in("Order manager"))

    response = client.get("/admin/")

    assert b"/admin/core/notification/?read=no" in response.content
    assert b"data-unread-count" in response.content


def test_a_superuser_sees_every_recipient_and_the_mail_state(client):
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    other = UserFactory(is_staff=True)
    _notice(other, "SO-1")
    Notification.objects.update(mail_status="failed", mail_error="550 no such user", read_at=timezone.now())
    client.force_login(admin_user)

    response = client.get("/admin/core/notification/")

    assert f"user:{other.pk}".encode() in response.content
    assert b"Failed" in response.content
