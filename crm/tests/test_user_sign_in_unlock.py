"""crm.services.user_sign_in_unlock: forgets one account's failed sign-ins (django-axes), nothing else."""

import pytest
from axes.models import AccessAttempt
from django.utils import timezone

from crm.services import user_sign_in_unlock


def _attempt(username, ip_address, failures=3):
    return AccessAttempt.objects.create(
        username=username,
        ip_address=ip_address,
        user_agent="test",
        get_data="",
        post_data="",
        http_accept="*/*",
        path_info="/portal/login/",
        failures_since_start=failures,
        attempt_time=timezone.now(),
    )


@pytest.mark.django_db
def test_unlock_forgets_only_that_accounts_attempts():
    _attempt("walter", "203.0.113.1")
    _attempt("walter", "203.0.113.2")
    other = _attempt("rita", "203.0.113.1")

    removed = user_sign_in_unlock(username="walter")

    assert removed == 2
    assert list(AccessAttempt.objects.all()) == [other]


@pytest.mark.django_db
def test_an_empty_username_unlocks_nothing():
    """axes' own reset() with no username and no address would forget every attempt of every account."""
    _attempt("walter", "203.0.113.1")
    _attempt("", "203.0.113.9")

    removed = user_sign_in_unlock(username="")

    assert removed == 0
    assert AccessAttempt.objects.count() == 2
