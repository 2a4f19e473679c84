"""`manage.py outbox_relay`: the relay process (OUTBOX_RELAY_PROCESS; PostgreSQL only).

Hands committed domain events to their listeners as soon as their transaction commits (the outbox
insert notifies it), in batches, so that requests and tasks never publish themselves. Runs until
SIGTERM or SIGINT; the beat sweep (core-relay-outbox) still catches up whatever it misses while down.
"""

import logging
import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from core.outbox import outbox_listen

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Hand committed domain events to their listeners as they commit (the outbox relay process)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--idle-seconds",
            type=float,
            default=5.0,
            help="Look for due events at least this often when nothing commits (backed-off events, "
            "a broker back).",
        )

    def handle(self, *args, idle_seconds: float, **options):
        if not idle_seconds > 0:
            raise CommandError("--idle-seconds must be above 0.")
        if connection.vendor != "postgresql":
            raise CommandError("The outbox relay process needs PostgreSQL (LISTEN/NOTIFY).")
        if not settings.OUTBOX_RELAY_PROCESS:
            logger.warning(
                "OUTBOX_RELAY_PROCESS is off: the processes that make changes relay their own events too"
            )
        stopping = []

        def stop(signum, frame):
            stopping.append(signum)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        logger.info("outbox relay listening")
        outbox_listen(idle_seconds=idle_seconds, should_stop=lambda: bool(stopping))
        logger.info("outbox relay stopped")
