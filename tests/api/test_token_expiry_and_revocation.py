"""Expired and revoked API tokens get 401 with their own code; checking costs no query; "last used"
is written at most once per interval (issue #7, item 9). Each test here failed on main: there was no
expiry, a revoked token was reported as `authentication_failed`, and the stamp was written every
minute by an unconditional UPDATE."""

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from crm.tests.factories import CustomerFactory, dealer_user
from restapi.models import ApiToken
from restapi.services import api_token_create, api_token_revoke

URL = "/api/v1/orders/"


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def dealer_token(db):
    user = dealer_user(CustomerFactory())
    token, key = api_token_create(user=user, name="ERP")
    return token, key


def _expire(token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))


@pytest.mark.django_db
def test_an_expired_token_gets_401_token_expired_in_the_error_envelope_and_is_not_stamped(dealer_token):
    token, key = dealer_token
    _expire(token)

    with CaptureQueriesContext(connection) as ctx:
        response = _client(key).get(URL)

    body = response.json()
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert set(body) == {"code", "message", "fields", "extra"}
    assert body["code"] == "token_expired"
    assert "expired" in body["message"]
    assert body["fields"] == {}
    # The expiry was judged on the row the token read fetched: one query, and no write.
    assert len(ctx.captured_queries) == 1
    assert ApiToken.objects.get(pk=token.pk).last_used_at is None


@pytest.mark.django_db
def test_a_revoked_token_gets_401_token_revoked(dealer_token):
    token, key = dealer_token
    api_token_revoke(token_id=token.pk)

    with CaptureQueriesContext(connection) as ctx:
        response = _client(key).get(URL)

    assert response.status_code == 401
    assert response.json()["code"] == "token_revoked"
    assert len(ctx.captured_queries) == 1
    assert ApiToken.objects.get(pk=token.pk).last_used_at is None


@pytest.mark.django_db
def test_a_revoked_token_that_also_expired_is_reported_as_revoked(dealer_token):
    token, key = dealer_token
    api_token_revoke(token_id=token.pk)
    _expire(token)

    assert _client(key).get(URL).json()["code"] == "token_revoked"


@pytest.mark.django_db
def test_an_unknown_key_is_still_authentication_failed():
    response = _client("oms_not-a-key").get(URL)

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


@pytest.mark.django_db
def test_a_token_older_than_the_maximum_age_expires_even_without_its_own_expiry(dealer_token, settings):
    settings.API_TOKEN_MAX_AGE_DAYS = 30
    token, key = dealer_token
    ApiToken.objects.filter(pk=token.pk).update(created_at=timezone.now() - dt.timedelta(days=31))

    response = _client(key).get(URL)

    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"


@pytest.mark.django_db
def test_a_token_within_its_expiry_works(dealer_token):
    token, key = dealer_token
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() + dt.timedelta(minutes=5))

    assert _client(key).get(URL).status_code == 200


@pytest.mark.django_db
def test_last_use_is_written_once_per_interval_with_one_conditional_update(dealer_token, settings):
    settings.API_TOKEN_LAST_USED_INTERVAL_SECONDS = 300
    token, key = dealer_token
    client = _client(key)

    with CaptureQueriesContext(connection) as first:
        assert client.get(URL).status_code == 200
    # Two minutes ago: within the interval (main wrote again after one minute).
    stamped = ApiToken.objects.get(pk=token.pk).last_used_at - dt.timedelta(seconds=120)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=stamped)
    with CaptureQueriesContext(connection) as second:
        assert client.get(URL).status_code == 200

    updates = [q["sql"] for q in first.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1
    assert "last_used_at" in updates[0]
    assert stamped is not None
    assert not [q for q in second.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(second.captured_queries) == len(first.captured_queries) - 1
    assert ApiToken.objects.get(pk=token.pk).last_used_at == stamped

    # Once the interval has passed, the next request stamps again.
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=stamped - dt.timedelta(seconds=181))
    with CaptureQueriesContext(connection) as third:
        assert client.get(URL).status_code == 200
    assert len([q for q in third.captured_queries if q["sql"].startswith("UPDATE")]) == 1
    assert ApiToken.objects.get(pk=token.pk).last_used_at > stamped


def test_the_openapi_schema_documents_both_codes_on_every_401():
    schema = Client(HTTP_HOST="localhost").get("/api/schema/", {"format": "json"}).json()
    unauthorized = [
        operation["responses"]["401"]
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1/") and not path.startswith(("/api/v1/webhook", "/api/v1/shop-floor/"))
        for method, operation in item.items()
        if method in {"get", "post", "patch"}
    ]

    assert unauthorized
    for response in unauthorized:
        codes = {
            example["value"]["code"]
            for example in response["content"]["application/json"]["examples"].values()
        }
        assert {"token_revoked", "token_expired"} <= codes
        assert "token_expired" in response["description"]


def test_the_dealer_guide_documents_both_codes_in_their_own_section():
    guide = (settings.BASE_DIR / "docs" / "dealer-api.md").read_text()
    section = guide.split("## Token expiry and revocation", 1)[1].split("\n## ", 1)[0]

    assert "`token_expired`" in section
    assert "`token_revoked`" in section
