"""A real Celery worker, a real Redis broker and the test database: a task enqueued here runs there."""

import contextlib
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import kombu.pools
import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from config.celery import app as celery_app
from orders import priority
from orders.models import Order, OrderEvent
from orders.selectors import priority_rules
from orders.services.priority import order_facts
from orders.tasks import order_score_priority_task
from orders.tests.factories import make_order

ROOT = Path(__file__).resolve().parent.parent
WAIT_SECONDS = 30


def _database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{db['NAME']}"


def _reset_producer_pools() -> None:
    # The app and kombu's process-wide registry cache connection and producer pools; close and drop
    # them all so the next publish connects to the broker URL set now (and later tests get fresh,
    # open pools for theirs).
    kombu.pools.reset()
    celery_app._pool = None
    amqp = celery_app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


@contextlib.contextmanager
def _broker(url: str):
    conf = celery_app.conf
    saved = (conf.broker_url, conf.broker_transport_options)
    _reset_producer_pools()
    conf.broker_url, conf.broker_transport_options = url, {}
    try:
        yield
    finally:
        _reset_producer_pools()
        conf.broker_url, conf.broker_transport_options = saved


@pytest.fixture
def not_eager():
    """Tasks go to a broker whatever an earlier test left in the app's configuration."""
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = saved


def _start_worker(queue: str, log_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.REDIS_URL,
        "TEST_CELERY_BROKER_URL": settings.REDIS_URL,
        "DB_CONN_MAX_AGE": "0",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--pool=solo",
        "-Q",
        queue,
        "-n",
        f"{queue}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel=INFO",
    ]
    with log_path.open("wb") as log:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def _stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=5)


@pytest.mark.postgres
@pytest.mark.redis
def test_a_task_enqueued_here_is_run_by_a_real_worker(transactional_db, not_eager, tmp_path):
    # given a committed order whose stored priority is not its score (its own scoring task went to
    # the in-memory test broker and never ran)
    order = make_order()
    score = priority.score(order_facts(order), priority_rules(), today=timezone.localdate()).score
    Order.objects.filter(pk=order.pk).update(priority=(score + 37) % 101)
    assert not OrderEvent.objects.filter(order=order, kind="order.priority_scored").exists()

    broker = redis.Redis.from_url(settings.REDIS_URL)
    broker.flushdb()
    queue = f"smoke-{uuid.uuid4().hex[:12]}"
    log_path = tmp_path / "worker.log"
    worker = _start_worker(queue, log_path)
    try:
        # when the scoring task is enqueued on the worker's queue through Redis
        with _broker(settings.REDIS_URL):
            order_score_priority_task.apply_async(kwargs={"order_id": order.pk}, queue=queue)

        # then the worker scores the order in the test database
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline and worker.poll() is None:
            if OrderEvent.objects.filter(order=order, kind="order.priority_scored").exists():
                break
            time.sleep(0.25)
        log = log_path.read_text(errors="replace")
        assert worker.poll() is None, f"the worker exited early:\n{log}"
        order.refresh_from_db()
        assert order.priority == score, f"the task did not run within {WAIT_SECONDS}s:\n{log}"
        event = OrderEvent.objects.get(order=order, kind="order.priority_scored")
        assert event.data == {"from": (score + 37) % 101, "to": score}
    finally:
        _stop(worker)
        broker.flushdb()
        broker.close()
