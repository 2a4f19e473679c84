"""API tokens in the admin: created and revoked through restapi.services; the key is shown once."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from crm.tests.factories import UserFactory
from restapi.models import ApiToken
from restapi.services import api_token_create


@pytest.mark.django_db
def test_adding_a_token_shows_the_plain_key_once_and_stores_only_its_digest(manager, manager_client):
    dealer = UserFactory(username="erp-bot")

    response = manager_client.post(reverse("admin:restapi_apitoken_add"), {"user": dealer.pk, "name": "ERP"})

    token = ApiToken.objects.get()
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    key = next(m for m in shown if m.startswith("API key for")).split(": ", 1)[1].split(" ")[0]
    assert key.startswith("oms_")
    assert sum(key in m for m in shown) == 1
    assert token.digest == ApiToken.hash_key(key)
    assert (token.user, token.name, token.created_by) == (dealer, "ERP", manager)
    after_redirect = manager_client.get(response["Location"]).content.decode()
    page = manager_client.get(reverse("admin:restapi_apitoken_change", args=[token.pk])).content.decode()
    assert key in after_redirect
    assert token.digest not in page
    assert key not in page


@pytest.mark.django_db
def test_revoke_action_revokes_through_the_service(manager_client):
    token, _key = api_token_create(user=UserFactory(), name="old")

    manager_client.post(
        reverse("admin:restapi_apitoken_changelist"),
        {"action": "revoke", "index": 0, "_selected_action": [token.pk]},
    )

    token.refresh_from_db()
    assert token.revoked_at is not None
