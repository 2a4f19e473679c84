import pytest

from core.errors import NotFound, ValidationFailed
from crm.tests.factories import CustomerFactory
from webhooks.models import WebhookEndpoint, WebhookEventType
from webhooks.services import (
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_enable,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
)
from webhooks.tests.factories import WebhookEndpointFactory

E = WebhookEventType


@pytest.mark.django_db
def test_an_endpoint_is_created_with_a_secret_and_its_events_in_canonical_order():
    customer = CustomerFactory()

    endpoint = webhook_endpoint_create(
        customer=customer,
        url="https://dealer.example/hooks",
        event_types=[E.INVOICE_ISSUED, E.ORDER_APPROVED, E.ORDER_APPROVED],
    )

    assert endpoint.customer == customer
    assert endpoint.is_active
    assert endpoint.secret.startswith("whsec_")
    assert len(endpoint.secret) > 30
    assert endpoint.event_types == ["order.approved", "invoice.issued"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "ftp://dealer.example/hooks",
        "not a url",
        "https://169.254.169.254/latest/meta-data",
        "https://dealer.example/" + "h" * 500,
    ],
)
def test_bad_urls_are_refused_and_nothing_is_written(url):
    with pytest.raises(ValidationFailed) as err:
        webhook_endpoint_create(customer=CustomerFactory(), url=url, event_types=[])
    assert list(err.value.fields) == ["url"]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_unknown_event_types_are_named_and_nothing_is_written():
    with pytest.raises(ValidationFailed) as err:
        webhook_endpoint_create(
            customer=CustomerFactory(),
            url="https://dealer.example/h",
            event_types=["order.approved", "order.teleported"],
        )
    assert "order.teleported" in err.value.fields["event_types"][0]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_an_inactive_customer_cannot_register():
    with pytest.raises(ValidationFailed) as err:
        webhook_endpoint_create(
            customer=CustomerFactory(is_active=False), url="https://d.example/h", event_types=[]
        )
    assert "customer" in err.value.fields
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_update_changes_only_what_is_given():
    endpoint = WebhookEndpointFactory(event_types=[E.ORDER_APPROVED])

    updated = webhook_endpoint_update(
        endpoint_id=endpoint.pk, customer_ids=[endpoint.customer_id], event_types=[E.ORDER_SHIPPED]
    )

    assert updated.event_types == ["order.shipped"]
    assert updated.url == endpoint.url


@pytest.mark.django_db
def test_another_customers_endpoint_cannot_be_changed_rotated_or_deleted():
    endpoint = WebhookEndpointFactory()
    stranger = CustomerFactory()

    with pytest.raises(NotFound):
        webhook_endpoint_update(
            endpoint_id=endpoint.pk, customer_ids=[stranger.pk], url="https://evil.example/h"
        )
    with pytest.raises(NotFound):
        webhook_endpoint_rotate_secret(endpoint_id=endpoint.pk, customer_ids=[stranger.pk])
    with pytest.raises(NotFound):
        webhook_endpoint_delete(endpoint_id=endpoint.pk, customer_ids=[stranger.pk])

    fresh = WebhookEndpoint.objects.get(pk=endpoint.pk)
    assert (fresh.url, fresh.secret) == (endpoint.url, endpoint.secret)


@pytest.mark.django_db
def test_rotating_replaces_the_secret():
    endpoint = WebhookEndpointFactory()

    rotated = webhook_endpoint_rotate_secret(endpoint_id=endpoint.pk, customer_ids=[endpoint.customer_id])

    assert rotated.secret != endpoint.secret
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == rotated.secret


@pytest.mark.django_db
def test_delete_removes_the_endpoint():
    endpoint = WebhookEndpointFactory()
    webhook_endpoint_delete(endpoint_id=endpoint.pk, customer_ids=[endpoint.customer_id])
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("turn_on", ["enable", "update"])
def test_turning_a_disabled_endpoint_on_clears_its_failures(turn_on):
    endpoint = WebhookEndpointFactory(is_active=False)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=20, disabled_reason="broken")

    if turn_on == "enable":
        result = webhook_endpoint_enable(endpoint_id=endpoint.pk)
    else:
        result = webhook_endpoint_update(
            endpoint_id=endpoint.pk, customer_ids=[endpoint.customer_id], is_active=True
        )

    fresh = WebhookEndpoint.objects.get(pk=endpoint.pk)
    assert result.is_active
    assert fresh.is_active
    assert (fresh.consecutive_failures, fresh.disabled_at, fresh.disabled_reason) == (0, None, "")
