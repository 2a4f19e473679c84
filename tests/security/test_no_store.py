"""Responses carrying personal or business data are never stored by a browser or a proxy (ASVS 8.2.1).

The API and portal cases failed on main, which sent no Cache-Control there; the admin was already
`never_cache` (Django); static files keep whitenoise's caching.
"""

import pytest
from django.test import Client

from crm.tests.factories import UserFactory, dealer_user
from orders.tests.api.support import dealer, dealer_order


@pytest.mark.django_db
def test_every_api_response_is_no_store_including_errors():
    customer, _user, api = dealer()
    order = dealer_order(customer)

    responses = [
        api.get("/api/v1/orders/"),
        api.get(f"/api/v1/orders/{order.number}/"),
        api.get("/api/v1/orders/SO-1999-000001/"),
        Client().get("/api/v1/orders/"),
    ]

    assert [r.status_code for r in responses] == [200, 200, 404, 401]
    for response in responses:
        assert response["Cache-Control"] == "private, no-store"


@pytest.mark.django_db
def test_signed_in_portal_pages_are_no_store(client):
    customer, user, _api = dealer()
    order = dealer_order(customer)
    client.force_login(user)

    for url in ["/portal/", "/portal/orders/", f"/portal/orders/{order.number}/", "/portal/webhooks/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "private, no-store", url


@pytest.mark.django_db
def test_a_page_that_chose_its_own_caching_keeps_it(client):
    client.force_login(dealer_user())

    login_page = Client().get("/portal/login/")
    created = client.post("/portal/tokens/", {"name": "ERP"})

    # Django's never_cache on the login page; the page showing a new key sets no-store itself.
    assert "no-store" in login_page["Cache-Control"]
    assert "private" in login_page["Cache-Control"]
    assert created["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_admin_pages_are_no_store(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    for url in ["/admin/", "/admin/orders/order/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url
        assert "private" in response["Cache-Control"], url


@pytest.mark.django_db
def test_static_files_keep_their_public_caching(client, settings):
    # whitenoise serves static files before any other middleware; in tests it finds them by the finders.
    settings.WHITENOISE_USE_FINDERS = True
    client.force_login(dealer_user())

    response = client.get("/static/portal/portal.css")

    assert response.status_code == 200
    assert "no-store" not in response["Cache-Control"]
    assert "public" in response["Cache-Control"]
    assert "max-age=" in response["Cache-Control"]
