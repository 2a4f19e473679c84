import socket

import pytest

from config.celery import app
from conftest import free_port
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
    # Read first: the app loads its configuration from Django settings lazily, on first access.
    before = app.conf.task_always_eager
    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def free_url():
    """A URL on 127.0.0.1 where nothing listens."""
    return f"http://127.0.0.1:{free_port()}/hook"


@pytest.fixture
def public_targets_only(settings):
    """Production's rule: webhooks only to https hosts whose every address is public."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False


@pytest.fixture
def fake_dns(monkeypatch):
    """Answers of socket.getaddrinfo for chosen names: `fake_dns["host"] = ["10.0.0.1"]`.

    A list of lists answers each lookup with the next list (the last one repeats); None means the
    name does not resolve. Other names (and IP literals) resolve as usual. `fake_dns.lookups`
    counts lookups per faked name.
    """
    real = socket.getaddrinfo

    class Table(dict):
        lookups: dict

    table = Table()
    table.lookups = {}

    def answer(host, port, addresses):
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                socket.IPPROTO_TCP,
                "",
                (a, port, 0, 0) if ":" in a else (a, port),
            )
            for a in addresses
        ]

    def getaddrinfo(host, port, *args, **kwargs):
        name = host.lower() if isinstance(host, str) else host
        if name not in table:
            return real(host, port, *args, **kwargs)
        count = table.lookups.get(name, 0)
        table.lookups[name] = count + 1
        addresses = table[name]
        if addresses and isinstance(addresses[0], list):
            addresses = addresses[min(count, len(addresses) - 1)]
        if addresses is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return answer(host, port, addresses)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table
