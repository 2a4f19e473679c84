import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from crm.models import Contact
from crm.tests.factories import CustomerFactory, UserFactory, dealer_user
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import webhook_delivery_attempt, webhook_endpoint_notify_disabled
from webhooks.tests.factories import WebhookDeliveryFactory, WebhookEndpointFactory


def _fail_once(delivery):
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )
    webhook_delivery_attempt(delivery_id=delivery.pk)


@pytest.mark.django_db
def test_an_endpoint_failing_n_times_in_a_row_is_disabled_and_the_customer_emailed(
    receiver, settings, eager_celery, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    receiver.respond_with(500, 500, 500, 500)
    customer = CustomerFactory()
    Contact.objects.create(customer=customer, name="Ops", email="ops@dealer.example", is_primary=True)
    Contact.objects.create(customer=customer, name="Sales", email="sales@dealer.example", is_primary=False)
    user = dealer_user(customer)
    endpoint = WebhookEndpointFactory(customer=customer, url=receiver.url)
    deliveries = [WebhookDeliveryFactory(endpoint=endpoint) for _ in range(2)]

    with django_capture_on_commit_callbacks(execute=True):
        _fail_once(deliveries[0])
        _fail_once(deliveries[1])
    endpoint.refresh_from_db()
    assert endpoint.is_active
    assert endpoint.consecutive_failures == 2
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        _fail_once(deliveries[0])

    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert endpoint.disabled_at is not None
    assert "3" in endpoint.disabled_reason
    [message] = mail.outbox
    assert set(message.to) == {"ops@dealer.example", user.email}
    assert endpoint.url in message.subject
    assert "HTTP 500" in message.body

    _fail_once(deliveries[1])  # a disabled endpoint is not called again
    assert len(receiver.received) == 3


@pytest.mark.django_db
def test_a_success_resets_the_failure_count(receiver, settings):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    receiver.respond_with(500, 500, 200, 500)
    endpoint = WebhookEndpointFactory(url=receiver.url)
    deliveries = [WebhookDeliveryFactory(endpoint=endpoint) for _ in range(4)]

    for delivery in deliveries:
        _fail_once(delivery)

    endpoint.refresh_from_db()
    assert endpoint.is_active
    assert endpoint.consecutive_failures == 1


@pytest.mark.django_db
def test_no_email_when_the_endpoint_was_enabled_again_before_the_notice_ran():
    endpoint = WebhookEndpointFactory(is_active=True)

    assert webhook_endpoint_notify_disabled(endpoint_id=endpoint.pk) == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_the_notice_falls_back_to_the_sales_rep():
    rep = UserFactory(email="rep@oms.example")
    endpoint = WebhookEndpointFactory(customer=CustomerFactory(sales_rep=rep), is_active=False)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        disabled_reason="Disabled after 20 failed deliveries"
    )

    assert webhook_endpoint_notify_disabled(endpoint_id=endpoint.pk) == 1
    assert mail.outbox[0].to == ["rep@oms.example"]
