import contextlib
import uuid
from collections.abc import Iterator
from importlib import import_module

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from core.models import ProcessedEvent, Sequence


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


@contextlib.contextmanager
def event_handle_once(*, handler: str, event_id: str | uuid.UUID | None) -> Iterator[bool]:
    """Act on an event once per handler: yields False when `handler` already acted on `event_id`.

    For handlers whose effect has no natural guard (an email). The receipt is written in a
    transaction around the block, so a block that raises leaves no receipt and a redelivery acts
    again; one that succeeds leaves it, and every redelivery of the same event is a no-op. Without
    an event id (a direct call) the block always runs. Concurrent runs: the unique constraint lets
    one through, the other waits for its outcome.
    """
    if event_id is None:
        yield True
        return
    with transaction.atomic():
        try:
            with transaction.atomic():
                ProcessedEvent.objects.create(handler=handler, event_id=uuid.UUID(str(event_id)))
        except IntegrityError:
            yield False
            return
        yield True


def session_clear_expired() -> None:
    """Delete expired browser sessions: what `manage.py clearsessions` does, for the configured engine.

    Not batched: sessions expire SESSION_IDLE_TIMEOUT_SECONDS after their last request
    (core.sessions), so between two hourly runs at most about one row per sign-in has expired, and
    the database engine removes them in one statement on the indexed expiry date.
    """
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
