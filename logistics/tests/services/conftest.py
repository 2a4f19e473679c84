import pytest

from logistics.models import Carrier


@pytest.fixture
def carrier():
    return Carrier.objects.create(
        code="SF", name="SF Express", tracking_url_template="https://www.sf-express.com/track?no={number}"
    )
