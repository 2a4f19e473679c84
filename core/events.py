"""In-process domain events: lower apps announce, higher apps listen (STYLE.md §2).

`emit()` dispatches on commit of the current transaction, so a listener never sees a change
that was rolled back. Listeners should only enqueue work (a Celery task); never use events
for work that must share the transaction.
"""

import logging
from collections import defaultdict
from collections.abc import Callable

from core.oncommit import on_commit_call

logger = logging.getLogger(__name__)
_listeners: dict[str, list[Callable[..., None]]] = defaultdict(list)


def subscribe(name: str, listener: Callable[..., None]) -> None:
    if listener not in _listeners[name]:
        _listeners[name].append(listener)


def listeners(name: str) -> list[Callable[..., None]]:
    return list(_listeners.get(name, ())) + list(_listeners.get("*", ()))


def _dispatch(name: str, payload: dict) -> None:
    for listener in listeners(name):
        try:
            listener(name, **payload)
        except Exception:  # a listener failing must not break the committed write
            logger.exception("listener %r failed for event %s", listener, name)


def emit(name: str, **payload) -> None:
    on_commit_call(_dispatch, name, payload)
