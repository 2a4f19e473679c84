"""`manage.py outbox_relay` refuses what it cannot run with, before doing anything."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection


@pytest.mark.parametrize("idle", ["0", "-1"])
def test_an_idle_period_not_above_zero_is_refused(idle):
    with pytest.raises(CommandError, match="--idle-seconds must be above 0"):
        call_command("outbox_relay", "--idle-seconds", idle)


def test_a_database_other_than_postgresql_is_refused(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("outbox_relay")
