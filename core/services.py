from django.db import connection

from core.models import Sequence


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
