import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.tests.factories import CustomerFactory, UserFactory
from restapi.models import ApiToken
from restapi.selectors import api_token_with_customers
from restapi.services import api_token_create, api_token_revoke


def _digest(key: str) -> str:
    return ApiToken.hash_key(key)


@pytest.mark.django_db
def test_the_token_comes_with_its_user_and_active_customers_in_one_query():
    user = UserFactory()
    zeta, alpha = CustomerFactory(name="Zeta"), CustomerFactory(name="Alpha")
    closed = CustomerFactory(name="Beta", is_active=False)
    for customer in (zeta, alpha, closed):
        customer.users.add(user)
    token, key = api_token_create(user=user)

    with CaptureQueriesContext(connection) as ctx:
        found, customers = api_token_with_customers(digest=_digest(key))
        assert found.user.username == user.username
        assert [c.code for c in customers] == [alpha.code, zeta.code]
        assert customers[0].tier == alpha.tier

    assert len(ctx.captured_queries) == 1
    assert found.pk == token.pk
    assert found.last_used_at == token.last_used_at


@pytest.mark.django_db
def test_a_user_acting_for_no_customer_still_has_a_token():
    user = UserFactory()
    _token, key = api_token_create(user=user)

    found, customers = api_token_with_customers(digest=_digest(key))

    assert found.user_id == user.pk
    assert customers == []


@pytest.mark.django_db
def test_a_revoked_token_is_still_read_so_authentication_can_say_so_and_an_unknown_one_is_none():
    user = UserFactory()
    customer = CustomerFactory()
    customer.users.add(user)
    token, key = api_token_create(user=user)
    api_token_revoke(token_id=token.pk)

    found, customers = api_token_with_customers(digest=_digest(key))

    assert found.pk == token.pk
    assert found.revoked_at is not None
    assert customers == [customer]
    assert api_token_with_customers(digest=_digest("nope")) == (None, [])
