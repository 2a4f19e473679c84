"""Bounded publishing: enqueue Celery tasks without ever waiting long on the broker.

Celery's default publish path can block a caller for a long time when the broker misbehaves
(measured with celery/kombu 5.7 and redis-py 8 on the redis transport, tests/test_outbox_broker.py):

- `Connection.default_channel` connects through `_ensure_connection`, whose `max_retries` is None
  unless the transport options set it: a closed port is retried until `broker_connection_timeout`,
  and the default `task_publish_retry_policy` then retries the publish three more times.
- The redis transport's `socket_timeout` defaults to None: a broker that accepts the TCP connection
  and never answers blocks the channel's PING (or the LPUSH) forever.
- redis-py itself does not retry here: the client kombu builds on its own connection pool gets the
  pool connection's `Retry(NoBackoff(), 0)` (as long as `retry_on_timeout` stays off).

Inside `bounded()` every `apply_async`/`delay` goes through a connection of its own (one per thread)
with `socket_timeout` and `socket_connect_timeout` set to OUTBOX_PUBLISH_TIMEOUT_SECONDS,
`max_retries=0` and `retry=False`: a closed port fails at once, a hung broker after one timeout,
and the failure is raised as `kombu.exceptions.OperationalError` for the caller (the outbox relay)
to leave the event pending. Outside it, publishing is Celery's default, untouched (workers).

Every publish is also cheaper than Celery's own, with the same messages: `AMQP` (the app's `amqp`
class, config/celery.py) writes the `argsrepr`/`kwargsrepr` headers with `task_repr`, celery's
saferepr text without its cost; config/celery.py and core/broker.py take care of option lookups and
of kombu's per-publish Redis client.
"""

import contextlib
import contextvars
import inspect
import os
import threading

from celery import Task as CeleryTask
from celery.app import amqp
from celery.utils.saferepr import saferepr
from django.conf import settings

_bounded: contextvars.ContextVar[bool] = contextvars.ContextVar("bounded_publishing", default=False)
_local = threading.local()


def _timeout() -> float:
    return float(settings.OUTBOX_PUBLISH_TIMEOUT_SECONDS)


def _connection(app):
    """This thread's bounded broker connection, made afresh when the broker or the timeout changed."""
    key = (app.conf.broker_write_url or app.conf.broker_url, _timeout())
    conn = getattr(_local, "connection", None)
    if conn is not None and getattr(_local, "key", None) == key:
        return conn
    discard()
    timeout = _timeout()
    conn = app.connection_for_write(
        connect_timeout=timeout,
        transport_options={
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
            "retry_on_timeout": False,
            "max_retries": 0,
        },
    )
    _local.connection, _local.key = conn, key
    return conn


def discard() -> None:
    """Drop this thread's bounded connection (after a failure its socket state is unknown)."""
    conn = getattr(_local, "connection", None)
    _local.connection = _local.key = None
    if conn is not None:
        # No network I/O: a hung broker must not hold us up while we let go of it.
        with contextlib.suppress(Exception):
            conn.collect()


@contextlib.contextmanager
def bounded():
    """Tasks enqueued in this block are published with short timeouts and no retries, or raise."""
    token = _bounded.set(True)
    try:
        yield
    finally:
        _bounded.reset(token)


class Task(CeleryTask):
    """The project's task base class (config/celery.py): honours `bounded()` when publishing."""

    def apply_async(self, args=None, kwargs=None, task_id=None, producer=None, **options):
        if _bounded.get() and producer is None and not self.app.conf.task_always_eager:
            options.setdefault("connection", _connection(self.app))
            options.setdefault("retry", False)
        return super().apply_async(args, kwargs, task_id=task_id, producer=producer, **options)


# What celery's saferepr writes for these types is their repr.
_PLAIN_SCALARS = frozenset({int, float, bool, type(None)})


def _is_plain(value, depth: int, maxlevels: int) -> bool:
    """Whether celery's saferepr of `value` is `repr(value)` when nothing is cut for length.

    saferepr writes a str between single quotes as it is (repr escapes quotes, backslashes and
    unprintable characters), numbers with str(), subclasses of list and tuple with their class name,
    and a dict, list or tuple at or below `maxlevels` containers as `{...}`: only values where none
    of that differs from repr are plain.
    """
    kind = type(value)
    if kind is str:
        return "'" not in value and "\\" not in value and value.isprintable()
    if kind in _PLAIN_SCALARS:
        return True
    if kind is dict:
        return depth < maxlevels and all(
            (type(key) is str or type(key) in _PLAIN_SCALARS)
            and _is_plain(key, 0, maxlevels)
            and _is_plain(item, depth + 1, maxlevels)
            for key, item in value.items()
        )
    if kind is list or kind is tuple:
        return depth < maxlevels and all(_is_plain(item, depth + 1, maxlevels) for item in value)
    return False


def task_repr(value, maxlen: int | None, maxlevels: int) -> str:
    """`celery.utils.saferepr.saferepr(value, maxlen, maxlevels=maxlevels)`, the same text, faster.

    saferepr walks its value token by token in Python (~30-100 µs for a task's keyword arguments);
    for plain values (`_is_plain`) whose repr is shorter than `maxlen` it equals the builtin repr.
    """
    if maxlevels and _is_plain(value, 0, maxlevels):
        with contextlib.suppress(Exception):
            text = repr(value)
            if maxlen is None or len(text) < maxlen:
                return text
    return saferepr(value, maxlen, maxlevels=maxlevels)


# How many positional arguments celery's `as_task_v2` takes after `kwargs` and before `argsrepr`.
_V2_PARAMETERS = list(inspect.signature(amqp.AMQP.as_task_v2).parameters)
_V2_POSITIONAL_BEFORE_REPRS = _V2_PARAMETERS.index("argsrepr") - _V2_PARAMETERS.index("kwargs") - 1


class AMQP(amqp.AMQP):
    """Celery's message helpers (config/celery.py), with `task_repr` for the args/kwargs headers."""

    def as_task_v2(self, task_id, name, args=None, kwargs=None, *more, **options):
        if len(more) <= _V2_POSITIONAL_BEFORE_REPRS:  # the reprs were not passed by position
            maxlevels = self.app.conf.task_repr_maxlevels
            if options.get("argsrepr") is None:
                options["argsrepr"] = task_repr(args or (), self.argsrepr_maxsize, maxlevels)
            if options.get("kwargsrepr") is None:
                options["kwargsrepr"] = task_repr(kwargs or {}, self.kwargsrepr_maxsize, maxlevels)
        return super().as_task_v2(task_id, name, args, kwargs, *more, **options)


if hasattr(os, "register_at_fork"):
    # A connection inherited from a parent process shares its socket: children make their own.
    os.register_at_fork(after_in_child=_local.__dict__.clear)
