"""Signed-in portal users change their own password (ASVS 2.1.5, 2.1.6, 3.3.3).

Failed on main: the portal had no password change page (only staff could change theirs, in the admin).
"""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from portal.tests.conftest import make_user

URL = "/portal/account/password/"
NEW = "tqv7-kzm4-wx-long"


def change(client, *, old="pass12345!", new=NEW, again=None):
    return client.post(URL, {"old_password": old, "new_password1": new, "new_password2": again or new})


def password_hash(user) -> str:
    return get_user_model().objects.get(pk=user.pk).password


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_login_page(client):
    for url in [URL, URL + "done/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/portal/login/?next=")


@pytest.mark.django_db
def test_the_user_menu_links_to_the_page_which_asks_for_the_current_and_the_new_password(client, plain_user):
    client.force_login(plain_user)

    home = client.get("/portal/").content.decode()
    page = client.get(URL)

    assert f'href="{URL}"' in home
    html = page.content.decode()
    assert page.status_code == 200
    assert page["Cache-Control"] == "private, no-store"
    for name in ["old_password", "new_password1", "new_password2"]:
        assert f'name="{name}"' in html
    assert "at least 12 characters" in html
    assert 'autocomplete="current-password"' in html
    assert 'autocomplete="new-password"' in html


@pytest.mark.django_db
def test_changing_the_password_keeps_this_session_and_ends_the_users_other_sessions(client, plain_user):
    client.force_login(plain_user)
    other_device = Client()
    other_device.force_login(plain_user)
    someone_else = Client()
    someone_else.force_login(make_user("another"))

    response = change(client)

    assert response.status_code == 302
    assert response["Location"] == URL + "done/"
    assert get_user_model().objects.get(pk=plain_user.pk).check_password(NEW)
    assert client.get(URL + "done/").status_code == 200
    assert client.get("/portal/").status_code == 200
    assert other_device.get("/portal/").status_code == 302
    assert someone_else.get("/portal/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("case", "data", "field"),
    [
        ("wrong current password", {"old": "not-my-password"}, "old_password"),
        ("eleven characters", {"new": "tqv7-kzm4-w"}, "new_password2"),
        ("over 128 characters", {"new": "tqv7-kzm4-wx " * 10}, "new_password2"),
        ("common password", {"new": "qwerty123456"}, "new_password2"),
        ("entirely numeric", {"new": "839274619320"}, "new_password2"),
        ("the two do not match", {"again": "tqv7-kzm4-wx-other"}, "new_password2"),
    ],
)
def test_a_refused_change_shows_the_error_and_changes_nothing(client, plain_user, case, data, field):
    client.force_login(plain_user)
    other_device = Client()
    other_device.force_login(plain_user)
    before = password_hash(plain_user)

    response = change(client, **data)

    assert response.status_code == 200, case
    assert response.context["form"].errors[field], case
    assert password_hash(plain_user) == before
    assert other_device.get("/portal/").status_code == 200


@pytest.mark.django_db
def test_the_page_is_translated(client, plain_user):
    client.force_login(plain_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    html = client.get(URL).content.decode()

    assert '<html lang="zh-hans"' in html
    assert "旧密码" in html  # Django's own catalogue labels the form's fields
