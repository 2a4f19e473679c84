import pytest

from portal.tests.conftest import make_user
from restapi.tests.portal.urls import TOKEN_GROUP


@pytest.fixture(autouse=True)
def _token_pages_urls(settings):
    settings.ROOT_URLCONF = "restapi.tests.portal.urls"


@pytest.fixture
def token_user(db):
    return make_user("dealer-ann", TOKEN_GROUP)


@pytest.fixture
def plain_user(db):
    return make_user("walter")
