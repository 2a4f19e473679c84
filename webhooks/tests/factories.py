import uuid

import factory
from django.utils import timezone

from crm.tests.factories import CustomerFactory
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEventType


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    customer = factory.SubFactory(CustomerFactory)
    url = "http://127.0.0.1:9/hook"
    event_types = factory.LazyFunction(lambda: [WebhookEventType.ORDER_APPROVED])


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookDelivery

    endpoint = factory.SubFactory(WebhookEndpointFactory)
    event_id = factory.LazyFunction(uuid.uuid4)
    event_type = WebhookEventType.ORDER_APPROVED
    payload = factory.LazyAttribute(
        lambda d: {
            "id": str(d.event_id),
            "type": d.event_type,
            "created_at": "2026-01-01T00:00:00Z",
            "api_version": "v1",
            "data": {"order": {"id": 1, "number": "SO-2026-000001"}},
        }
    )
    next_attempt_at = factory.LazyFunction(timezone.now)


class WebhookAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookAttempt

    delivery = factory.SubFactory(WebhookDeliveryFactory)
    response_code = 500
    duration_ms = 120
