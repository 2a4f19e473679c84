import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIRequestFactory

from crm.tests.factories import CustomerFactory
from restapi.authentication import ApiTokenAuthentication
from restapi.models import ApiToken


def make_user(username: str = "dealer1", *, dealer: bool = True, **kwargs):
    user = get_user_model().objects.create_user(username=username, password="pass12345!", **kwargs)
    if dealer:
        CustomerFactory().users.add(user)
    return user


def authenticated_user(key: str):
    request = APIRequestFactory().get("/api/v1/orders/", HTTP_AUTHORIZATION=f"Token {key}")
    return ApiTokenAuthentication().authenticate(request)[0]


@pytest.mark.django_db
def test_the_command_prints_a_working_key_once_and_stores_only_its_digest(capsys):
    user = make_user()

    call_command("create_api_token", user.username, "--name", "ERP sync")

    out, err = capsys.readouterr()
    key = out.strip()
    token = ApiToken.objects.get(user=user)
    assert key.startswith("oms_")
    assert token.name == "ERP sync"
    assert token.digest == ApiToken.hash_key(key)
    assert key not in (token.digest, token.prefix)
    assert "cannot be shown again" in err
    assert authenticated_user(key) == user


@pytest.mark.django_db
def test_each_run_creates_a_new_token():
    user = make_user()

    call_command("create_api_token", user.username)
    call_command("create_api_token", user.username)

    assert ApiToken.objects.filter(user=user).count() == 2


@pytest.mark.django_db
def test_an_unknown_user_is_an_error_and_creates_nothing():
    with pytest.raises(CommandError, match="No user named"):
        call_command("create_api_token", "nobody")

    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_an_inactive_user_gets_no_token():
    user = make_user(is_active=False)

    with pytest.raises(CommandError, match="inactive"):
        call_command("create_api_token", user.username)

    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_a_staff_user_acting_for_no_customer_gets_no_token_and_a_clear_message():
    """Failed on main: the command minted a token that only ever got 403 from the dealer API."""
    user = make_user("ops-admin", dealer=False, is_staff=True)

    with pytest.raises(CommandError, match="acts for no active customer"):
        call_command("create_api_token", user.username)

    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_a_user_whose_only_customer_is_closed_gets_no_token():
    user = make_user("former-dealer", dealer=False)
    CustomerFactory(is_active=False).users.add(user)

    with pytest.raises(CommandError, match="acts for no active customer"):
        call_command("create_api_token", user.username)

    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_expires_in_days_sets_the_tokens_expiry(settings, capsys):
    """Failed on main: there was no expiry."""
    settings.API_TOKEN_MAX_AGE_DAYS = 365
    user = make_user()
    before = timezone.now()

    call_command("create_api_token", user.username, "--expires-in-days", "30")

    token = ApiToken.objects.get(user=user)
    assert before + dt.timedelta(days=30) <= token.expires_at <= timezone.now() + dt.timedelta(days=30)
    assert token.valid_until == token.expires_at
    assert "valid until" in capsys.readouterr().err


@pytest.mark.django_db
def test_without_expires_in_days_the_token_lasts_the_maximum_age(settings):
    settings.API_TOKEN_MAX_AGE_DAYS = 90
    user = make_user()

    call_command("create_api_token", user.username)

    token = ApiToken.objects.get(user=user)
    assert token.expires_at is None
    assert token.valid_until == token.created_at + dt.timedelta(days=90)


@pytest.mark.django_db
@pytest.mark.parametrize("days", ["0", "-3", "91"])
def test_an_expiry_outside_one_day_to_the_maximum_age_is_refused_and_creates_nothing(settings, days):
    settings.API_TOKEN_MAX_AGE_DAYS = 90
    user = make_user()

    with pytest.raises(CommandError):
        call_command("create_api_token", user.username, "--expires-in-days", days)

    assert not ApiToken.objects.exists()
