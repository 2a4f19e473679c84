import pytest

from inventory.selectors import stock_drift


@pytest.fixture
def no_drift():
    """Assert, after the test body, that every balance still equals its ledger."""
    yield
    assert stock_drift() == []
