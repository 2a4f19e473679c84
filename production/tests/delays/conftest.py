import pytest

from production.models import WorkOrder
from production.services import delays


@pytest.fixture(autouse=True)
def eta_refresh(monkeypatch):
    """The sweep's tests stand apart from the shop floor's ETA rules (production.services.progress):
    the refresh it asks for records the call and, if a test sets `moves_to`, moves the estimate there."""

    class Refresh:
        calls: list[int]
        moves_to = None

        def __call__(self, *, work_order_id: int, actor=None):
            self.calls.append(work_order_id)
            if self.moves_to is not None:
                WorkOrder.objects.filter(pk=work_order_id).update(eta=self.moves_to)
            return WorkOrder.objects.get(pk=work_order_id)

    refresh = Refresh()
    refresh.calls = []
    monkeypatch.setattr(delays, "work_order_eta_refresh", refresh)
    return refresh
