"""CSRF on every cookie-authenticated write, and API keys only from the Authorization header
(ASVS 4.2.2, 13.2.3, 3.1.1, 13.1.3).

These pin what Django and DRF already do (they pass on main too): the portal's forms and the API,
which also accepts the portal's session through DRF's SessionAuthentication, refuse a write made
with the session cookie but without the CSRF token, and change nothing; a key in the query string
is not a credential.
"""

import pytest
from django.conf import settings
from django.test import Client

from crm.tests.factories import dealer_user
from orders.models import Order, OrderEvent
from orders.states import OrderStatus
from orders.tests.api.support import dealer, dealer_order
from restapi.models import ApiToken
from restapi.services import api_token_create


def signed_in(user) -> Client:
    """A browser that enforces CSRF like a real one, signed in, holding its CSRF cookie."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/portal/")  # the portal's pages set the CSRF cookie
    assert settings.CSRF_COOKIE_NAME in client.cookies
    return client


@pytest.mark.django_db
def test_a_portal_post_is_refused_without_the_csrf_token_and_accepted_with_it():
    user = dealer_user()
    token, _key = api_token_create(user=user)
    client = signed_in(user)

    refused = client.post(f"/portal/tokens/{token.pk}/revoke/")
    accepted = client.post(
        f"/portal/tokens/{token.pk}/revoke/",
        {"csrfmiddlewaretoken": client.cookies[settings.CSRF_COOKIE_NAME].value},
    )

    assert refused.status_code == 403
    assert accepted.status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


@pytest.mark.django_db
def test_a_portal_post_without_the_csrf_token_changes_nothing():
    user = dealer_user()
    token, _key = api_token_create(user=user)
    client = signed_in(user)

    response = client.post(f"/portal/tokens/{token.pk}/revoke/")
    logout = client.post("/portal/logout/")

    assert response.status_code == logout.status_code == 403
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    assert client.get("/portal/").status_code == 200  # still signed in: the forged sign-out did nothing


@pytest.mark.django_db
def test_an_api_write_with_the_session_cookie_but_no_csrf_token_is_refused_and_changes_nothing():
    customer, user, _api = dealer()
    order = dealer_order(customer)
    events = OrderEvent.objects.filter(order=order).count()
    client = signed_in(user)
    url = f"/api/v1/orders/{order.number}/cancel/"

    refused = client.post(url, {"reason": "forged"}, content_type="application/json")

    assert refused.status_code == 403
    assert "CSRF" in refused.json()["message"]
    order.refresh_from_db()
    assert order.status != OrderStatus.CANCELLED
    assert OrderEvent.objects.filter(order=order).count() == events

    # The same call with the token goes through: CSRF was the only reason for the refusal.
    accepted = client.post(
        url,
        {"reason": "changed our mind"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=client.cookies[settings.CSRF_COOKIE_NAME].value,
    )
    assert accepted.status_code == 200, accepted.content
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED


@pytest.mark.django_db
@pytest.mark.parametrize("parameter", ["token", "api_key", "key", "access_token", "auth_token"])
def test_an_api_key_in_the_query_string_is_ignored(parameter):
    _customer, user, _api = dealer()
    _token, key = api_token_create(user=user)

    response = Client().get(f"/api/v1/orders/?{parameter}={key}")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.django_db
def test_an_api_key_in_the_query_string_of_a_write_is_ignored_and_nothing_is_written():
    customer, user, _api = dealer()
    order = dealer_order(customer)
    _token, key = api_token_create(user=user)

    response = Client().post(
        f"/api/v1/orders/{order.number}/cancel/?token={key}",
        {"reason": "via the URL"},
        content_type="application/json",
    )

    assert response.status_code == 401
    assert Order.objects.get(pk=order.pk).status == order.status
