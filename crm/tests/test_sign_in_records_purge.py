"""The daily sweep of django-axes records (ASVS 8.3.x: kept no longer than AXES_LOG_RETENTION_DAYS).

On main the records were never pruned (no service, task or schedule): every test here failed there.
"""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.utils import timezone

from config.schedules import BEAT_SCHEDULE
from crm import tasks
from crm.services import sign_in_records_purge

COMMON = {"user_agent": "test", "ip_address": "203.0.113.1", "path_info": "/portal/login/"}


def make_records(username: str, days_ago: float) -> None:
    at = timezone.now() - timedelta(days=days_ago)
    for model, extra in [
        (AccessAttempt, {"get_data": "", "post_data": "", "failures_since_start": 1}),
        (AccessFailureLog, {}),
        (AccessLog, {}),
    ]:
        row = model.objects.create(username=username, **COMMON, **extra)
        model.objects.filter(pk=row.pk).update(attempt_time=at)  # auto_now_add on create


def usernames():
    return {
        model.__name__: set(model.objects.values_list("username", flat=True))
        for model in (AccessAttempt, AccessFailureLog, AccessLog)
    }


@pytest.mark.django_db
def test_records_older_than_the_retention_are_deleted_and_younger_ones_kept(settings):
    settings.AXES_LOG_RETENTION_DAYS = 90
    make_records("old", days_ago=91)
    make_records("recent", days_ago=89)

    sweep = sign_in_records_purge()

    assert (sweep.handled, sweep.more) == (3, False)
    assert usernames() == {name: {"recent"} for name in ["AccessAttempt", "AccessFailureLog", "AccessLog"]}


@pytest.mark.django_db
def test_the_task_deletes_in_batches_and_re_enqueues_itself_while_rows_remain(settings, monkeypatch):
    settings.AXES_LOG_RETENTION_DAYS = 90
    for n in range(3):
        make_records(f"old{n}", days_ago=100)
    again = []
    monkeypatch.setattr(tasks.sign_in_records_purge_task, "delay", lambda **kw: again.append(kw))

    tasks.sign_in_records_purge_task(batch=2)

    assert again == [{"batch": 2}]
    assert AccessLog.objects.count() == 1
    tasks.sign_in_records_purge_task(batch=2)
    assert again == [{"batch": 2}]
    assert AccessLog.objects.count() == AccessAttempt.objects.count() == AccessFailureLog.objects.count() == 0


def test_the_sweep_runs_daily():
    scheduled = {entry["task"]: entry["schedule"] for entry in BEAT_SCHEDULE.values()}

    assert scheduled["crm.tasks.sign_in_records_purge_task"] == timedelta(days=1)
