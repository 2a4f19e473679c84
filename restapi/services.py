import contextlib
import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import LAZY_COMMIT, can_commit_lazily
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


def idempotency_key_claim(*, scope: str, key: str, request_hash: str) -> IdempotencyKey | None:
    """Insert the key row (no response yet) and commit it; None when the (scope, key) row exists.

    The unique constraint decides between concurrent requests with the same key. Outside a transaction
    the single insert commits by itself (no BEGIN/COMMIT round trips), and on PostgreSQL without waiting
    for its WAL flush (core.db): the request's own transaction commits after it, and that synchronous
    commit makes the claim durable too, so a crash can lose the claim only of a request that left
    nothing else behind, which a retry then starts afresh. Inside a transaction, a savepoint keeps the
    caller's transaction usable after a unique violation.
    """
    connection = transaction.get_connection()
    if can_commit_lazily(connection):
        record = IdempotencyKey(scope=scope, key=key, request_hash=request_hash)
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM_SQL, [scope, key, request_hash, record.created_at])
            row = cursor.fetchone()
        if row is None:
            return None
        record.pk = row[0]
        record._state.adding, record._state.db = False, connection.alias
        return record
    in_transaction = connection.in_atomic_block
    try:
        with transaction.atomic() if in_transaction else contextlib.nullcontext():
            return IdempotencyKey.objects.create(scope=scope, key=key, request_hash=request_hash)
    except IntegrityError:
        return None


# The table and constraint keep their names from core (restapi.models); ON CONFLICT names the unique
# (scope, key) constraint, so a taken key returns no row instead of raising.
_CLAIM_SQL = (
    "INSERT INTO core_idempotencykey (scope, key, request_hash, created_at) VALUES (%s, %s, %s, %s) "
    f"ON CONFLICT ON CONSTRAINT core_idempotency_scope_key_uniq DO NOTHING RETURNING id, {LAZY_COMMIT}"
)
_LOCK_SQL = "SELECT 1 FROM core_idempotencykey WHERE id = %s FOR UPDATE"


def idempotency_key_lock(*, key_id: int) -> None:
    """Hold the key row's lock for the caller's transaction: proof that its request is still running."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        # SQLite (the trial) has no row locks and no FOR UPDATE: one writer at a time anyway.
        list(IdempotencyKey.objects.select_for_update().filter(pk=key_id).values_list("pk"))
        return
    # Plain SQL: the statement is fixed, and building it through the ORM costs more than running it.
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_SQL, [key_id])


def idempotency_key_take_over(*, key_id: int) -> IdempotencyKey | None:
    """Take over a key whose request left no response — only if no running request holds its lock.

    A request that died released its lock with its transaction; a slow one still holds it, so it is
    never run twice (skip_locked answers at once instead of waiting).
    """
    with transaction.atomic():
        record = (
            IdempotencyKey.objects.select_for_update(skip_locked=True)
            .filter(pk=key_id, response_status__isnull=True)
            .first()
        )
        if record is None:
            return None
        record.created_at = timezone.now()
        record.save(update_fields=["created_at"])
    return record


def idempotency_key_store(*, key_id: int, status: int, body: dict) -> None:
    """Keep the response of a carried-out request for replay."""
    IdempotencyKey.objects.filter(pk=key_id).update(response_status=status, response_body=body)


def idempotency_key_release(*, key_id: int) -> None:
    """Forget a key whose request stored no response, so the client may retry with it."""
    IdempotencyKey.objects.filter(pk=key_id, response_status__isnull=True).delete()


def idempotency_key_expire(*, key_id: int, created_at: dt.datetime) -> None:
    """Drop a key older than the TTL so it can be used afresh (compare-and-delete on created_at)."""
    IdempotencyKey.objects.filter(pk=key_id, created_at=created_at).delete()
