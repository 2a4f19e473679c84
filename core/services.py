import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.errors import NotFound
from core.models import ApiToken, IdempotencyKey, Sequence


def sequence_next(*, name: str) -> int:
    """Advance the named counter by one and return the new value.

    One upsert statement (PostgreSQL and SQLite ≥ 3.35): the row is created on first use, and the
    update takes its row lock, so two transactions never get the same value and there are no gaps.
    The lock is held to the caller's commit: call it late in the caller's transaction.
    """
    table = connection.ops.quote_name(Sequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (name, value) VALUES (%s, 1) "
            f"ON CONFLICT (name) DO UPDATE SET value = {table}.value + 1 RETURNING value",
            [name],
        )
        return cursor.fetchone()[0]


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
