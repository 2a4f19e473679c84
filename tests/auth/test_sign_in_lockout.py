"""Brute-force protection on every password sign-in (issue #7, item 4).

On main before this change, 40 wrong passwords followed by the right one logged straight in on both
/portal/login/ and /admin/login/; every test below that expects a refusal failed there. Failures
count per account and, separately, per client address (django-axes, settings.AXES_*).
"""

import base64
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import F
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from crm.tests.factories import UserFactory
from orders.tests.api.support import dealer

PORTAL_LOGIN = "/portal/login/"
ADMIN_LOGIN = "/admin/login/"
PASSWORD = "pass12345!"  # crm.tests.factories.UserFactory
LIMIT = settings.AXES_FAILURE_LIMIT


def sign_in(client, url, username, password, address="198.51.100.10", **extra):
    return client.post(
        url, {"username": username, "password": password, "next": "/portal/"}, REMOTE_ADDR=address, **extra
    )


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail(client, url, username, times, address="198.51.100.10", **extra):
    for attempt in range(times):
        response = sign_in(client, url, username, f"wrong-{attempt}", address, **extra)
        assert not signed_in(client)
    return response


@pytest.mark.django_db
@pytest.mark.parametrize("url", [PORTAL_LOGIN, ADMIN_LOGIN], ids=["portal", "admin"])
def test_forty_wrong_passwords_then_the_right_one_is_refused(url, client):
    """Fails on main: the 41st attempt, with the right password, logged in."""
    user = UserFactory(username="walter", is_staff=True)

    fail(client, url, "walter", 40)
    response = sign_in(client, url, "walter", PASSWORD)

    assert response.status_code == 429
    assert b'id="lockout"' in response.content
    assert not signed_in(client)
    user.refresh_from_db()
    assert user.last_login is None


@pytest.mark.django_db
def test_the_lockout_page_is_the_portals_with_the_wait_and_a_way_out(client):
    UserFactory(username="walter")

    response = fail(client, PORTAL_LOGIN, "walter", LIMIT)

    assert response.status_code == 429
    page = response.content.decode()
    assert 'class="topbar"' in page
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    assert f"Try again in {minutes} minutes" in page
    assert 'href="/portal/password-reset/"' in page
    assert "walter" not in page


@pytest.mark.django_db
def test_one_failure_short_of_the_limit_the_right_password_still_signs_in(client):
    UserFactory(username="walter")

    fail(client, PORTAL_LOGIN, "walter", LIMIT - 1)
    response = sign_in(client, PORTAL_LOGIN, "walter", PASSWORD)

    assert response.status_code == 302
    assert signed_in(client)


@pytest.mark.django_db
def test_failures_from_one_address_across_accounts_lock_that_address_only():
    """Fails on main: an address trying one password on many accounts was never slowed down."""
    for n in range(LIMIT):
        UserFactory(username=f"victim{n}")
    UserFactory(username="walter")
    attacker, neighbour = Client(), Client()

    for n in range(LIMIT):
        sign_in(attacker, PORTAL_LOGIN, f"victim{n}", "Summer2024!", address="203.0.113.66")
    refused = sign_in(attacker, PORTAL_LOGIN, "walter", PASSWORD, address="203.0.113.66")
    elsewhere = sign_in(neighbour, PORTAL_LOGIN, "walter", PASSWORD, address="198.51.100.20")

    assert refused.status_code == 429
    assert not signed_in(attacker)
    assert elsewhere.status_code == 302
    assert signed_in(neighbour)


@pytest.mark.django_db
def test_failures_on_one_account_from_many_addresses_lock_the_account():
    UserFactory(username="walter")
    for n in range(LIMIT):
        sign_in(Client(), PORTAL_LOGIN, "walter", f"wrong-{n}", address=f"203.0.113.{n + 1}")
    client = Client()

    response = sign_in(client, PORTAL_LOGIN, "walter", PASSWORD, address="198.51.100.99")

    assert response.status_code == 429
    assert not signed_in(client)


@pytest.mark.django_db
def test_a_forged_forwarded_for_header_does_not_escape_the_address_lockout(client):
    """gunicorn faces the clients (docker-compose.yml): the address is REMOTE_ADDR, not X-Forwarded-For."""
    UserFactory(username="walter")
    for n in range(LIMIT):
        sign_in(client, PORTAL_LOGIN, f"guess{n}", "x", HTTP_X_FORWARDED_FOR=f"192.0.2.{n + 1}")

    response = sign_in(client, PORTAL_LOGIN, "walter", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.200")

    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.10"}


@pytest.mark.django_db
def test_behind_a_proxy_that_sets_forwarded_for_each_client_is_counted_on_its_own(settings):
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    UserFactory(username="walter")
    proxy = "10.0.0.2"
    attacker, neighbour = Client(), Client()
    for n in range(LIMIT):
        sign_in(attacker, PORTAL_LOGIN, f"guess{n}", "x", proxy, HTTP_X_FORWARDED_FOR="203.0.113.66")

    refused = sign_in(attacker, PORTAL_LOGIN, "walter", PASSWORD, proxy, HTTP_X_FORWARDED_FOR="203.0.113.66")
    allowed = sign_in(neighbour, PORTAL_LOGIN, "walter", PASSWORD, proxy, HTTP_X_FORWARDED_FOR="203.0.113.7")

    assert refused.status_code == 429
    assert allowed.status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.66"}


@pytest.mark.django_db
def test_the_lockout_ends_when_the_cool_off_has_passed_since_the_last_failure(client):
    UserFactory(username="walter")
    fail(client, PORTAL_LOGIN, "walter", LIMIT)
    # The clock is not mocked: the recorded failures are moved back in time instead.
    AccessAttempt.objects.update(
        attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME + timedelta(minutes=1)
    )
    still_refused = sign_in(client, PORTAL_LOGIN, "walter", PASSWORD)
    assert still_refused.status_code == 429
    assert not signed_in(client)

    # That refused attempt restarted the wait; once a whole cool-off has passed, the password works.
    AccessAttempt.objects.update(
        attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )
    response = sign_in(client, PORTAL_LOGIN, "walter", PASSWORD)

    assert response.status_code == 302
    assert signed_in(client)


@pytest.mark.django_db
def test_failed_attempts_are_logged_without_the_password(client):
    UserFactory(username="walter")

    sign_in(client, PORTAL_LOGIN, "walter", "my-secret-guess")

    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address, attempt.failures_since_start) == (
        "walter",
        "198.51.100.10",
        1,
    )
    assert "my-secret-guess" not in attempt.post_data
    assert AccessFailureLog.objects.filter(username="walter", ip_address="198.51.100.10").count() == 1


@pytest.mark.django_db
def test_a_superuser_unlocks_an_account_from_the_user_admin(client):
    """Fails on main: there was no lockout, and no unlock action in the user admin."""
    user = UserFactory(username="walter")
    fail(client, PORTAL_LOGIN, "walter", LIMIT)
    admin_client = Client()
    admin_client.force_login(
        get_user_model().objects.create_superuser("root", "root@example.com", "x-12345!")
    )

    response = admin_client.post(
        "/admin/auth/user/", {"action": "unlock_sign_in", "_selected_action": [user.pk]}, follow=True
    )
    signed = sign_in(client, PORTAL_LOGIN, "walter", PASSWORD)

    assert "Sign-in unlocked for 1 user." in response.content.decode()
    assert not AccessAttempt.objects.filter(username="walter").exists()
    assert signed.status_code == 302
    assert signed_in(client)


@pytest.mark.django_db
def test_staff_without_the_axes_permission_cannot_unlock(client):
    user = UserFactory(username="walter")
    fail(client, PORTAL_LOGIN, "walter", LIMIT)
    clerk = UserFactory(username="clerk", is_staff=True)
    clerk.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "change_user"]))
    clerk_client = Client()
    clerk_client.force_login(clerk)

    changelist = clerk_client.get("/admin/auth/user/")
    clerk_client.post("/admin/auth/user/", {"action": "unlock_sign_in", "_selected_action": [user.pk]})

    assert changelist.status_code == 200
    assert b"unlock_sign_in" not in changelist.content
    assert AccessAttempt.objects.get(username="walter").failures_since_start == LIMIT
    assert sign_in(client, PORTAL_LOGIN, "walter", PASSWORD).status_code == 429


@pytest.mark.django_db
def test_a_superuser_sees_the_attempts_in_the_admin(client):
    UserFactory(username="walter")
    fail(client, PORTAL_LOGIN, "walter", 2)
    admin_client = Client()
    admin_client.force_login(
        get_user_model().objects.create_superuser("root", "root@example.com", "x-12345!")
    )

    response = admin_client.get("/admin/axes/accessattempt/")

    assert response.status_code == 200
    assert b"walter" in response.content


@pytest.mark.django_db
def test_the_token_api_keeps_working_for_a_locked_out_account_and_address(client):
    """axes guards password sign-ins only; the dealer API authenticates by token and is not affected."""
    _customer, user, api = dealer()
    fail(client, PORTAL_LOGIN, user.username, LIMIT, address="127.0.0.1")
    assert sign_in(client, PORTAL_LOGIN, user.username, PASSWORD, address="127.0.0.1").status_code == 429

    response = api.get("/api/v1/orders/", REMOTE_ADDR="127.0.0.1")

    assert response.status_code == 200, response.content


@pytest.mark.django_db
def test_the_api_accepts_no_password_so_it_cannot_be_used_to_guess_one():
    _customer, user, _api = dealer()
    basic = base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()

    response = APIClient().get("/api/v1/orders/", HTTP_AUTHORIZATION=f"Basic {basic}")

    assert response.status_code in {401, 403}
    assert not AccessAttempt.objects.exists()


@pytest.mark.django_db
def test_the_sign_in_records_read_in_chinese_in_the_admin(client):
    """django-axes ships no zh_Hans catalogue; the project's translates its admin (crm/axes_i18n.py)."""
    UserFactory(username="walter")
    fail(client, PORTAL_LOGIN, "walter", 2)
    admin_client = Client(headers={"accept-language": "zh-hans"})
    admin_client.force_login(
        get_user_model().objects.create_superuser("root", "root@example.com", "x-12345!")
    )

    # override() puts the active language back afterwards (the middleware leaves Chinese active).
    with translation.override("zh-hans"):
        response = admin_client.get("/admin/axes/accessattempt/")

    text = response.content.decode()
    assert "登录尝试" in text
    assert "登录失败次数" in text
    assert "access attempts" not in text.lower()
