import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from crm.tests.factories import CustomerFactory
from webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.tests.factories import WebhookDeliveryFactory, WebhookEndpointFactory


@pytest.fixture
def staff_client(client):
    admin_user = get_user_model().objects.create_superuser("boss", "boss@oms.example", "pass12345!")
    client.force_login(admin_user)
    return client


@pytest.mark.django_db
def test_replay_action_resends_a_failed_delivery_with_the_same_event_id(
    staff_client, receiver, eager_celery, django_capture_on_commit_callbacks
):
    endpoint = WebhookEndpointFactory(url=receiver.url)
    receiver.secret = endpoint.secret
    delivery = WebhookDeliveryFactory(
        endpoint=endpoint,
        status=DeliveryStatus.FAILED,
        attempts=8,
        next_attempt_at=None,
        last_response_code=500,
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:webhooks_webhookdelivery_changelist"),
            {"action": "replay", "_selected_action": [delivery.pk]},
            follow=True,
        )

    assert response.status_code == 200
    assert "1 delivery queued again." in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 1
    [request] = receiver.received
    assert request.signature_ok
    assert request.headers["X-OMS-Event-Id"] == str(delivery.event_id)


@pytest.mark.django_db
def test_replay_of_a_disabled_endpoints_delivery_is_refused_with_a_message(staff_client):
    delivery = WebhookDeliveryFactory(
        endpoint=WebhookEndpointFactory(is_active=False), status=DeliveryStatus.FAILED, attempts=8
    )

    response = staff_client.post(
        reverse("admin:webhooks_webhookdelivery_changelist"),
        {"action": "replay", "_selected_action": [delivery.pk]},
        follow=True,
    )

    assert "The endpoint is disabled" in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 8


@pytest.mark.django_db
def test_delivery_page_shows_the_attempt_log(staff_client):
    delivery = WebhookDeliveryFactory()
    WebhookAttempt.objects.create(delivery=delivery, response_code=503, duration_ms=12, error="HTTP 503")

    response = staff_client.get(reverse("admin:webhooks_webhookdelivery_change", args=[delivery.pk]))

    assert response.status_code == 200
    assert "HTTP 503" in response.content.decode()


@pytest.mark.django_db
def test_enable_action_turns_a_disabled_endpoint_on_and_resets_failures(staff_client):
    endpoint = WebhookEndpointFactory(is_active=False)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=20, disabled_reason="x")

    staff_client.post(
        reverse("admin:webhooks_webhookendpoint_changelist"),
        {"action": "enable", "_selected_action": [endpoint.pk]},
        follow=True,
    )

    endpoint.refresh_from_db()
    assert endpoint.is_active
    assert endpoint.consecutive_failures == 0
    assert endpoint.disabled_reason == ""


def _cookies_and_session(client) -> str:
    session = client.session
    return str(client.cookies) + repr(dict(session.items()))


@pytest.mark.django_db
def test_adding_an_endpoint_goes_through_the_service_and_shows_the_secret_once_on_an_uncached_page(
    staff_client,
):
    customer = CustomerFactory()

    response = staff_client.post(
        reverse("admin:webhooks_webhookendpoint_add"),
        {
            "customer": customer.pk,
            "url": "https://dealer.example/hooks",
            "event_types": ["order.approved"],
        },
    )

    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.customer == customer
    assert endpoint.event_types == ["order.approved"]
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert endpoint.secret in response.content.decode()
    # Not in a message: the cookie message storage would keep it in the browser.
    assert endpoint.secret not in _cookies_and_session(staff_client)
    later = staff_client.get(reverse("admin:webhooks_webhookendpoint_changelist")).content.decode()
    assert endpoint.secret not in later


@pytest.mark.django_db
def test_rotating_secrets_shows_the_new_ones_once_and_keeps_them_out_of_messages(staff_client):
    first, second = WebhookEndpointFactory(), WebhookEndpointFactory()
    old = {first.secret, second.secret}

    response = staff_client.post(
        reverse("admin:webhooks_webhookendpoint_changelist"),
        {"action": "rotate_secret", "_selected_action": [first.pk, second.pk]},
    )

    first.refresh_from_db()
    second.refresh_from_db()
    page = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert first.secret in page
    assert second.secret in page
    assert not old & {first.secret, second.secret}
    assert not any(secret in page for secret in old)
    assert first.secret not in _cookies_and_session(staff_client)
    assert second.secret not in _cookies_and_session(staff_client)


@pytest.mark.django_db
def test_a_bad_url_in_the_admin_form_is_shown_on_the_field(staff_client, public_targets_only):
    response = staff_client.post(
        reverse("admin:webhooks_webhookendpoint_add"),
        {
            "customer": CustomerFactory().pk,
            "url": "http://dealer.example/hooks",
            "event_types": [],
        },
    )

    assert response.status_code == 200
    assert "Use https://." in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_a_delivery_page_is_view_only(staff_client):
    delivery = WebhookDeliveryFactory()

    response = staff_client.post(
        reverse("admin:webhooks_webhookdelivery_change", args=[delivery.pk]),
        {"attempt_log-TOTAL_FORMS": "0", "attempt_log-INITIAL_FORMS": "0"},
    )

    assert response.status_code == 403
    assert WebhookDelivery.objects.get(pk=delivery.pk).updated_at == delivery.updated_at
