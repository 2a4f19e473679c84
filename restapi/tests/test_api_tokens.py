import pytest
from django.contrib.auth import get_user_model

from core.errors import ValidationFailed
from restapi.models import ApiToken
from restapi.services import api_token_create, api_token_revoke


def _user():
    count = get_user_model().objects.count()
    return get_user_model().objects.create_user(username=f"token-user-{count}", password="x-pass-12345")


@pytest.mark.django_db
def test_a_user_cannot_hold_more_than_the_allowed_active_tokens(settings):
    settings.API_TOKENS_PER_USER = 2
    user = _user()
    first, _ = api_token_create(user=user)
    api_token_create(user=user)

    with pytest.raises(ValidationFailed):
        api_token_create(user=user)
    assert ApiToken.objects.filter(user=user).count() == 2

    api_token_revoke(token_id=first.pk, user=user)
    api_token_create(user=user)
    assert ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() == 2


@pytest.mark.django_db
def test_only_a_digest_of_the_key_is_stored():
    token, key = api_token_create(user=_user())
    assert key not in (token.digest, token.prefix)
    assert token.digest == ApiToken.hash_key(key)
