import pytest

from webhooks.tests.receiver import start_receiver


@pytest.fixture
def receiver():
    """A live receiver on 127.0.0.1 (random port); set `.secret` to the endpoint's secret."""
    receiver, server = start_receiver()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def eager_celery(settings):
    """Run Celery tasks inline, so on-commit `.delay()` calls really deliver."""
    from config.celery import app

    # Read first: the app loads its configuration from Django settings lazily, on first access.
    before = app.conf.task_always_eager
    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def free_url():
    """A URL on 127.0.0.1 where nothing listens."""
    from conftest import free_port

    return f"http://127.0.0.1:{free_port()}/hook"
