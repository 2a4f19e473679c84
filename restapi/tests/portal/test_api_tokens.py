import pytest

from portal.tests.conftest import make_user
from restapi.models import ApiToken
from restapi.services import api_token_create


@pytest.mark.django_db
def test_token_page_lists_only_the_users_own_tokens(client, token_user):
    own, _ = api_token_create(user=token_user, name="ERP")
    other, _ = api_token_create(user=make_user("someone-else"), name="Not yours")
    client.force_login(token_user)

    response = client.get("/portal/tokens/")

    page = response.content.decode()
    assert response.status_code == 200
    assert own.prefix in page
    assert "ERP" in page
    assert other.prefix not in page
    assert "Not yours" not in page


@pytest.mark.django_db
def test_token_page_needs_login(client):
    response = client.get("/portal/tokens/")

    assert response.status_code == 302
    assert response["Location"].startswith("/portal/login/")


@pytest.mark.django_db
def test_token_page_refuses_a_user_the_check_does_not_admit_with_a_friendly_page(client, plain_user):
    client.force_login(plain_user)

    response = client.get("/portal/tokens/")

    assert response.status_code == 403
    assert b"not available to you" in response.content


@pytest.mark.django_db
def test_creating_a_token_shows_the_key_once_and_stores_only_its_digest(client, token_user):
    client.force_login(token_user)

    response = client.post("/portal/tokens/", {"name": "Warehouse scanner"})

    token = ApiToken.objects.get(user=token_user)
    key = response.context["key"]
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert key in response.content.decode()
    assert key.startswith(token.prefix)
    assert token.name == "Warehouse scanner"
    assert token.created_by == token_user
    assert token.digest == ApiToken.hash_key(key)
    assert key not in client.get("/portal/tokens/").content.decode()


@pytest.mark.django_db
def test_a_too_long_name_is_refused_and_no_token_is_made(client, token_user):
    client.force_login(token_user)

    response = client.post("/portal/tokens/", {"name": "x" * 101})

    assert response.status_code == 400
    assert ApiToken.objects.count() == 0


@pytest.mark.django_db
def test_revoking_an_own_token(client, token_user):
    token, _ = api_token_create(user=token_user)
    client.force_login(token_user)

    response = client.post(f"/portal/tokens/{token.pk}/revoke/", follow=True)

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert f"Token {token.prefix}… was revoked." in response.content.decode()


@pytest.mark.django_db
def test_revoking_someone_elses_token_is_a_404_and_leaves_it_active(client, token_user):
    other, _ = api_token_create(user=make_user("mallory-victim"))
    client.force_login(token_user)

    response = client.post(f"/portal/tokens/{other.pk}/revoke/")

    other.refresh_from_db()
    assert response.status_code == 404
    assert other.revoked_at is None


@pytest.mark.django_db
def test_revoke_accepts_only_post(client, token_user):
    token, _ = api_token_create(user=token_user)
    client.force_login(token_user)

    response = client.get(f"/portal/tokens/{token.pk}/revoke/")

    token.refresh_from_db()
    assert response.status_code == 405
    assert token.revoked_at is None
