"""Side effects after commit that must neither fail the committed request nor stop the others."""

from collections.abc import Callable

from django.db import transaction


def on_commit_call(func: Callable, /, *args, **kwargs) -> None:
    """Call `func(*args, **kwargs)` once the current transaction commits; a failure is logged, not raised.

    The arguments are bound now (safe in loops). A plain function carries a name for the log line
    Django writes when a robust callback fails (a functools.partial has none).
    """

    def call():
        func(*args, **kwargs)

    call.__qualname__ = getattr(func, "__qualname__", None) or getattr(func, "name", None) or repr(func)
    transaction.on_commit(call, robust=True)
