import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from core.errors import ValidationFailed
from restapi.models import ApiToken
from restapi.services import api_token_create, api_token_revoke, api_token_touch


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


# Issue #7, item 9: optional expiry, a maximum age, a bounded "last used" write. These failed on main
# (no `expires_at`, no maximum, an unconditional stamp).


@pytest.mark.django_db
def test_an_expiry_in_the_past_is_refused_and_nothing_is_written():
    user = _user()

    with pytest.raises(ValidationFailed) as err:
        api_token_create(user=user, expires_at=timezone.now() - dt.timedelta(seconds=1))

    assert list(err.value.fields) == ["expires_at"]
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_an_expiry_beyond_the_maximum_age_is_refused_and_nothing_is_written(settings):
    settings.API_TOKEN_MAX_AGE_DAYS = 30
    user = _user()

    with pytest.raises(ValidationFailed) as err:
        api_token_create(user=user, expires_at=timezone.now() + dt.timedelta(days=31))

    assert "at most 30 days" in str(err.value.fields["expires_at"][0])
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_a_token_is_valid_until_its_expiry_or_the_maximum_age_whichever_is_earlier(settings):
    settings.API_TOKEN_MAX_AGE_DAYS = 30
    soon = timezone.now() + dt.timedelta(days=3)
    own, _ = api_token_create(user=_user(), expires_at=soon)
    plain, _ = api_token_create(user=_user())

    assert own.valid_until == soon
    assert plain.valid_until == plain.created_at + dt.timedelta(days=30)

    settings.API_TOKEN_MAX_AGE_DAYS = 2  # lowered later: older tokens end sooner too
    assert own.valid_until == own.created_at + dt.timedelta(days=2)


@pytest.mark.django_db
def test_without_a_maximum_age_a_token_without_expiry_never_expires(settings):
    settings.API_TOKEN_MAX_AGE_DAYS = 0
    token, _ = api_token_create(user=_user())

    assert token.valid_until is None
    assert not token.is_expired(timezone.now() + dt.timedelta(days=3650))
    assert token.get_status_display() == "Active"


@pytest.mark.django_db
def test_expired_tokens_do_not_count_towards_the_limit(settings):
    settings.API_TOKENS_PER_USER = 1
    user = _user()
    old, _ = api_token_create(user=user, expires_at=timezone.now() + dt.timedelta(days=1))
    ApiToken.objects.filter(pk=old.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    api_token_create(user=user)

    assert ApiToken.objects.filter(user=user).count() == 2


@pytest.mark.django_db
def test_touch_is_one_update_that_changes_nothing_within_the_interval(settings, django_assert_num_queries):
    settings.API_TOKEN_LAST_USED_INTERVAL_SECONDS = 300
    token, _ = api_token_create(user=_user())
    now = timezone.now()
    recent = now - dt.timedelta(seconds=299)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=recent)

    with django_assert_num_queries(1):
        api_token_touch(token_id=token.pk, now=now)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == recent

    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now - dt.timedelta(seconds=300))
    api_token_touch(token_id=token.pk, now=now)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == now
