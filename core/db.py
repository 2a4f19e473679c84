"""Statements that commit without waiting for their WAL flush, where losing them in a crash is harmless.

A single statement run in autocommit is its own transaction. Adding `LAZY_COMMIT` to its RETURNING list
sets `synchronous_commit = off` for that transaction only (set_config(..., is_local => true)), so its
commit returns before the WAL reaches the disk: some 0.1-0.3 ms less per statement. The server stays
consistent after a crash; the last such commits may be missing. That is acceptable only where a lost
write is redone or never mattered (each caller says why), and it is no risk to anything committed
later: the WAL is flushed in order, so any later synchronous commit makes the lazy one durable too.
"""

from django.db.backends.base.base import BaseDatabaseWrapper

LAZY_COMMIT = "set_config('synchronous_commit', 'off', true)"


def can_commit_lazily(connection: BaseDatabaseWrapper) -> bool:
    """A statement run now is its own transaction on PostgreSQL (not inside the caller's transaction)."""
    return (
        connection.vendor == "postgresql" and connection.get_autocommit() and not connection.in_atomic_block
    )
