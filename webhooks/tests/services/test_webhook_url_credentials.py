"""A webhook URL may not carry credentials (`user:password@host`): they would be stored and shown in
plain text wherever the URL is listed (ASVS 8.3.4). Before this change such URLs were registered."""

import pytest

from core.errors import ValidationFailed
from crm.tests.factories import CustomerFactory
from webhooks.models import WebhookEndpoint
from webhooks.services import webhook_endpoint_create, webhook_endpoint_update
from webhooks.tests.factories import WebhookEndpointFactory

MESSAGE = "Leave user names and passwords out of the URL: each delivery is signed."


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "https://erp:s3cret@hooks.dealer.example/oms",
        "https://erp@hooks.dealer.example/oms",
    ],
)
def test_a_url_with_credentials_is_refused_on_registration_and_nothing_is_written(url):
    with pytest.raises(ValidationFailed) as err:
        webhook_endpoint_create(customer=CustomerFactory(), url=url, event_types=[])

    assert [str(m) for m in err.value.fields["url"]] == [MESSAGE]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_a_url_with_credentials_is_refused_on_change_and_the_endpoint_keeps_its_url():
    endpoint = WebhookEndpointFactory(url="https://hooks.dealer.example/oms")

    with pytest.raises(ValidationFailed) as err:
        webhook_endpoint_update(
            endpoint_id=endpoint.pk, customer_ids=None, url="https://erp:s3cret@hooks.dealer.example/oms"
        )

    assert list(err.value.fields) == ["url"]
    endpoint.refresh_from_db()
    assert endpoint.url == "https://hooks.dealer.example/oms"
