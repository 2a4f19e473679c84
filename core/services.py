import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.errors import NotFound
from core.models import ApiToken, IdempotencyKey, Sequence


def sequence_next(*, name: str) -> int:
    """Advance the named counter by one and return the new value.

    Safe under concurrency: the row is created if missing (conflicts ignored), then locked, so two
    transactions never get the same value. Joins the caller's transaction, so the lock is held to
    its commit; call it late in the caller's transaction to keep that short.
    """
    with transaction.atomic():
        Sequence.objects.bulk_create([Sequence(name=name, value=0)], ignore_conflicts=True)
        Sequence.objects.filter(name=name).update(value=F("value") + 1)
        return Sequence.objects.values_list("value", flat=True).get(name=name)


def api_token_create(*, user, name: str = "", created_by=None) -> tuple[ApiToken, str]:
    """Create an API token for `user`. Returns the row and the plain key, which is never stored."""
    key = ApiToken.generate_key()
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name, prefix=key[:12], digest=ApiToken.hash_key(key),
                                        created_by=created_by)
    return token, key


def api_token_revoke(*, token_id: int, user=None) -> ApiToken:
    """Revoke a token (idempotent). With `user`, only that user's own token can be revoked."""
    with transaction.atomic():
        qs = ApiToken.objects.select_for_update()
        if user is not None:
            qs = qs.filter(user=user)
        token = qs.filter(pk=token_id).first()
        if token is None:
            raise NotFound()
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
    return token


def idempotency_key_purge(*, older_than_hours: int | None = None, batch: int = 5000) -> int:
    """Delete stored idempotent responses older than the TTL (at least 24 h). Returns rows deleted."""
    hours = max(24, older_than_hours or settings.IDEMPOTENCY_KEY_TTL_HOURS)
    cutoff = timezone.now() - dt.timedelta(hours=hours)
    with transaction.atomic():
        ids = list(IdempotencyKey.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:batch])
        deleted, _ = IdempotencyKey.objects.filter(pk__in=ids).delete()
    return deleted
