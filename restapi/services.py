import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import NotFound, ValidationFailed
from core.sweeps import Sweep
from restapi.models import ApiToken, IdempotencyKey
from restapi.selectors import api_token_list_usable


def api_token_create(
    *, user, name: str = "", created_by=None, expires_at: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """Create an API token for `user`. Returns the row and the plain key, which is never stored.

    `expires_at` (optional) must lie in the future and, when settings.API_TOKEN_MAX_AGE_DAYS is set,
    within that many days; without it the token lasts the maximum age (ApiToken.valid_until; with no
    maximum, until it is revoked). Raises ValidationFailed (`expires_at`; `name` when the user already has
    settings.API_TOKENS_PER_USER usable tokens). Nothing is written when it raises.
    """
    now = timezone.now()
    max_age_days = settings.API_TOKEN_MAX_AGE_DAYS
    latest = now + dt.timedelta(days=max_age_days) if max_age_days > 0 else None
    if expires_at is not None and expires_at <= now:
        raise ValidationFailed(fields={"expires_at": [_("The expiry must be in the future.")]})
    if expires_at is not None and latest is not None and expires_at > latest:
        raise ValidationFailed(
            fields={
                "expires_at": [
                    _("A token may last at most %(days)d days; choose an earlier expiry.")
                    % {"days": max_age_days}
                ]
            }
        )
    active = api_token_list_usable(user=user, now=now).count()
    if active >= settings.API_TOKENS_PER_USER:
        raise ValidationFailed(
            fields={
                "name": [_("You already have %(count)d active tokens; revoke one first.") % {"count": active}]
            }
        )
    key = ApiToken.generate_key()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=key[:12],
            digest=ApiToken.hash_key(key),
            created_by=created_by,
            created_at=now,
            expires_at=expires_at,
        )
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


def idempotency_key_purge(*, older_than_hours: int | None = None, batch: int = 5000) -> Sweep:
    """Sweep: delete up to `batch` stored idempotent responses older than the TTL (at least 24 h).

    Returns the rows deleted; more may remain after a full batch.
    """
    hours = max(24, older_than_hours or settings.IDEMPOTENCY_KEY_TTL_HOURS)
    cutoff = timezone.now() - dt.timedelta(hours=hours)
    with transaction.atomic():
        ids = list(IdempotencyKey.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:batch])
        deleted, _ = IdempotencyKey.objects.filter(pk__in=ids).delete()
    return Sweep(handled=deleted, more=len(ids) >= batch)


def api_token_touch(*, token_id: int, now: dt.datetime) -> None:
    """Record that a token was used: one UPDATE, which changes nothing if the token's last use was
    stamped within settings.API_TOKEN_LAST_USED_INTERVAL_SECONDS (so concurrent requests write once).

    Callers skip the call altogether when the row they already read says it is not due
    (restapi.authentication), so a busy token costs one write per interval, not one per request.
    """
    due = now - dt.timedelta(seconds=settings.API_TOKEN_LAST_USED_INTERVAL_SECONDS)
    ApiToken.objects.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=due), pk=token_id).update(
        last_used_at=now
    )


def idempotency_key_record(*, scope: str, key: str, request_hash: str, status: int, body: str) -> bool:
    """Keep the response of a carried-out request under its key, in the caller's transaction.

    `body` is the stored JSON document, already encoded (the response is rendered once, not converted
    back to Python for the JSON column to encode again). Returns False and writes nothing when the
    (scope, key) row exists: the unique constraint decides between concurrent requests with one key.
    A row another transaction has written but not yet committed makes the insert wait for that
    transaction's outcome. No exception, so no savepoint: the caller's transaction stays usable.
    """
    connection = transaction.get_connection()
    with connection.cursor() as cursor:
        cursor.execute(
            _RECORD_SQL.format(table=_KEY_TABLE), [scope, key, request_hash, status, body, timezone.now()]
        )
        return cursor.rowcount == 1


_KEY_TABLE = IdempotencyKey._meta.db_table
# Plain SQL: ON CONFLICT DO NOTHING (PostgreSQL, SQLite) reports a taken key as no row instead of raising.
_RECORD_SQL = (
    'INSERT INTO {table} ("scope", "key", "request_hash", "response_status", "response_body", "created_at") '
    'VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT ("scope", "key") DO NOTHING'
)


def idempotency_key_expire(*, key_id: int, created_at: dt.datetime) -> bool:
    """Drop a key older than the TTL so it can be used afresh (compare-and-delete on created_at)."""
    deleted, _ = IdempotencyKey.objects.filter(pk=key_id, created_at=created_at).delete()
    return bool(deleted)


def idempotency_key_drop_abandoned(*, key_id: int, created_at: dt.datetime) -> bool:
    """Drop a key row that was committed without a response and never got one.

    Only versions before issue #6 §5 committed a key before its request's work; such a row still
    unanswered after a minute belongs to a request that died. If a live request of such a version
    holds the row's lock, the delete waits for it, then sees its stored response and deletes nothing.
    """
    deleted, _ = IdempotencyKey.objects.filter(
        pk=key_id, created_at=created_at, response_status__isnull=True
    ).delete()
    return bool(deleted)
