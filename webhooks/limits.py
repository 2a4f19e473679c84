"""How long one delivery attempt may take, derived from WEBHOOK_TIMEOUT_SECONDS in one place.

The chain must stay ordered: HTTP exchange < task soft limit < task hard limit < claim lease.
A lease therefore only runs out when its worker is really gone (killed at the hard limit or
crashed), never while it may still record its result.
"""

import math

from django.conf import settings

CONNECT_TIMEOUT_SECONDS = 3.0
MAX_RESPONSE_BYTES = 16 * 1024
# Room in the task for the DNS lookup and the two short transactions around the request.
TASK_OVERHEAD_SECONDS = 20
HARD_LIMIT_MARGIN_SECONDS = 10
LEASE_GRACE_SECONDS = 30


def connect_timeout() -> float:
    return min(CONNECT_TIMEOUT_SECONDS, settings.WEBHOOK_TIMEOUT_SECONDS)


def read_timeout() -> float:
    return settings.WEBHOOK_TIMEOUT_SECONDS


def request_timeout() -> float:
    """The whole HTTP exchange: connect, send, and the answer within WEBHOOK_TIMEOUT_SECONDS."""
    return connect_timeout() + settings.WEBHOOK_TIMEOUT_SECONDS


def task_soft_time_limit() -> int:
    return math.ceil(request_timeout()) + TASK_OVERHEAD_SECONDS


def task_time_limit() -> int:
    return task_soft_time_limit() + HARD_LIMIT_MARGIN_SECONDS


def lease_seconds() -> int:
    return task_time_limit() + LEASE_GRACE_SECONDS
