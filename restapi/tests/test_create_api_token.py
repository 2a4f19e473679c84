import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.test import APIRequestFactory

from restapi.authentication import ApiTokenAuthentication
from restapi.models import ApiToken


def make_user(username: str = "dealer1", **kwargs):
    return get_user_model().objects.create_user(username=username, password="pass12345!", **kwargs)


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
