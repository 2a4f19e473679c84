from collections import defaultdict

import pytest

from core import events
from logistics.models import Carrier
from orders.tests.conftest import ready_order  # noqa: F401  (shared fixture)


@pytest.fixture
def emitted(monkeypatch):
    """Domain events announced during the test, as (name, payload); other apps' listeners are detached."""
    seen: list[tuple[str, dict]] = []
    monkeypatch.setattr(events, "_listeners", defaultdict(list))
    events.subscribe("*", lambda name, **payload: seen.append((name, payload)))
    return seen


@pytest.fixture
def carrier():
    return Carrier.objects.create(code="SF", name="SF Express",
                                  tracking_url_template="https://www.sf-express.com/track?no={number}")
