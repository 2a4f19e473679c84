import pytest
from django.utils import timezone

from crm.tests.factories import CustomerFactory, UserFactory, dealer_user
from webhooks.models import WebhookEndpoint, WebhookEventType
from webhooks.tests.factories import WebhookDeliveryFactory, WebhookEndpointFactory


@pytest.fixture
def customer(db):
    return CustomerFactory(name="Dealer One")


@pytest.fixture
def dealer(customer):
    return dealer_user(customer, username="dealer-dan")


@pytest.mark.django_db
def test_dealer_sees_own_endpoints_and_recent_deliveries_only(client, dealer, customer):
    own = WebhookEndpointFactory(customer=customer, url="https://erp.dealer-one.example/hooks")
    WebhookDeliveryFactory(endpoint=own, event_type=WebhookEventType.ORDER_SHIPPED)
    foreign = WebhookEndpointFactory(url="https://someone-else.example/hooks")
    WebhookDeliveryFactory(endpoint=foreign, event_type=WebhookEventType.INVOICE_OVERDUE)
    client.force_login(dealer)

    response = client.get("/portal/webhooks/")

    page = response.content.decode()
    assert response.status_code == 200
    assert own.url in page
    assert "order.shipped" in page
    assert foreign.url not in page
    assert "invoice.overdue" not in page
    assert own.secret not in page


@pytest.mark.django_db
def test_webhook_pages_need_login_and_a_dealer(client, db):
    assert client.get("/portal/webhooks/").status_code == 302

    client.force_login(UserFactory())
    response = client.get("/portal/webhooks/")

    assert response.status_code == 403
    assert b"not available to you" in response.content


@pytest.mark.django_db
def test_dealer_adds_an_endpoint_and_sees_its_secret_once(client, dealer, customer):
    client.force_login(dealer)
    assert "customer" in client.get("/portal/webhooks/new/").context["form"].fields

    response = client.post(
        "/portal/webhooks/new/",
        {
            "customer": customer.pk,
            "url": "https://erp.dealer-one.example/hooks",
            "event_types": [WebhookEventType.ORDER_SHIPPED, WebhookEventType.ORDER_APPROVED],
        },
    )

    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert endpoint.customer == customer
    assert endpoint.url == "https://erp.dealer-one.example/hooks"
    assert endpoint.event_types == [WebhookEventType.ORDER_APPROVED, WebhookEventType.ORDER_SHIPPED]
    assert endpoint.secret in response.content.decode()


@pytest.mark.django_db
def test_no_ticked_event_types_subscribes_to_every_event(client, dealer, customer):
    client.force_login(dealer)

    client.post("/portal/webhooks/new/", {"customer": customer.pk, "url": "https://erp.example/hooks"})

    assert WebhookEndpoint.objects.get().event_types == []


@pytest.mark.django_db
def test_a_refused_url_is_shown_on_the_url_field_and_nothing_is_written(
    client, dealer, customer, public_targets_only
):
    client.force_login(dealer)

    response = client.post(
        "/portal/webhooks/new/", {"customer": customer.pk, "url": "https://10.1.2.3/hooks"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "url": ["This address cannot receive webhooks: it is not a public internet address."]
    }
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_a_dealer_of_several_customers_picks_one_of_them_only(client, dealer, customer):
    second = CustomerFactory(name="Dealer One South")
    second.users.add(dealer)
    stranger = CustomerFactory()
    client.force_login(dealer)

    form = client.get("/portal/webhooks/new/").context["form"]
    chosen = client.post("/portal/webhooks/new/", {"customer": second.pk, "url": "https://south.example/h"})
    refused = client.post("/portal/webhooks/new/", {"customer": stranger.pk, "url": "https://x.example/h"})

    assert set(form.fields["customer"].queryset) == {customer, second}
    assert not form.fields["customer"].widget.is_hidden
    assert chosen.status_code == 200
    assert WebhookEndpoint.objects.get().customer == second
    assert "customer" in refused.context["form"].errors
    assert WebhookEndpoint.objects.count() == 1


@pytest.mark.django_db
def test_a_dealer_of_one_customer_is_not_asked_which(client, dealer, customer):
    client.force_login(dealer)

    form = client.get("/portal/webhooks/new/").context["form"]

    assert form.fields["customer"].widget.is_hidden
    assert form["customer"].value() == customer.pk


@pytest.mark.django_db
def test_dealer_deletes_own_endpoint(client, dealer, customer):
    endpoint = WebhookEndpointFactory(customer=customer)
    client.force_login(dealer)

    response = client.post(f"/portal/webhooks/{endpoint.pk}/delete/", follow=True)

    assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
    assert b"The webhook endpoint was deleted." in response.content


@pytest.mark.django_db
def test_deleting_another_customers_endpoint_is_a_404_and_keeps_it(client, dealer):
    foreign = WebhookEndpointFactory()
    client.force_login(dealer)

    response = client.post(f"/portal/webhooks/{foreign.pk}/delete/")

    assert response.status_code == 404
    assert WebhookEndpoint.objects.filter(pk=foreign.pk).exists()


@pytest.mark.django_db
def test_rotating_the_secret_shows_the_new_one(client, dealer, customer):
    endpoint = WebhookEndpointFactory(customer=customer)
    old = endpoint.secret
    client.force_login(dealer)

    response = client.post(f"/portal/webhooks/{endpoint.pk}/rotate-secret/")

    endpoint.refresh_from_db()
    assert endpoint.secret != old
    assert endpoint.secret in response.content.decode()
    assert old not in response.content.decode()


@pytest.mark.django_db
def test_rotating_another_customers_secret_is_a_404_and_keeps_it(client, dealer):
    foreign = WebhookEndpointFactory()
    old = foreign.secret
    client.force_login(dealer)

    response = client.post(f"/portal/webhooks/{foreign.pk}/rotate-secret/")

    foreign.refresh_from_db()
    assert response.status_code == 404
    assert foreign.secret == old


def _disabled_endpoint(customer) -> WebhookEndpoint:
    endpoint = WebhookEndpointFactory(customer=customer, is_active=False)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        consecutive_failures=20,
        disabled_at=timezone.now(),
        disabled_reason="Disabled after 20 failed deliveries",
    )
    return WebhookEndpoint.objects.get(pk=endpoint.pk)


@pytest.mark.django_db
def test_a_disabled_endpoint_offers_re_enable_and_an_active_one_does_not(client, dealer, customer):
    disabled = _disabled_endpoint(customer)
    active = WebhookEndpointFactory(customer=customer)
    client.force_login(dealer)

    page = client.get("/portal/webhooks/").content.decode()

    assert f"/portal/webhooks/{disabled.pk}/enable/" in page
    assert f"/portal/webhooks/{active.pk}/enable/" not in page
    assert "Disabled after 20 failed deliveries" in page


@pytest.mark.django_db
def test_dealer_re_enables_own_disabled_endpoint_and_its_failures_are_cleared(client, dealer, customer):
    endpoint = _disabled_endpoint(customer)
    client.force_login(dealer)

    response = client.post(f"/portal/webhooks/{endpoint.pk}/enable/", follow=True)

    endpoint.refresh_from_db()
    assert endpoint.is_active
    assert endpoint.consecutive_failures == 0
    assert endpoint.disabled_at is None
    assert endpoint.disabled_reason == ""
    assert response.redirect_chain[-1][0] == "/portal/webhooks/"
    assert b"The webhook endpoint is enabled again" in response.content


@pytest.mark.django_db
def test_re_enabling_another_customers_endpoint_is_a_404_and_changes_nothing(client, dealer):
    foreign = _disabled_endpoint(CustomerFactory())
    client.force_login(dealer)

    response = client.post(f"/portal/webhooks/{foreign.pk}/enable/")

    assert response.status_code == 404
    fresh = WebhookEndpoint.objects.get(pk=foreign.pk)
    assert not fresh.is_active
    assert fresh.consecutive_failures == 20
    assert (fresh.disabled_at, fresh.disabled_reason, fresh.updated_at) == (
        foreign.disabled_at,
        foreign.disabled_reason,
        foreign.updated_at,
    )


@pytest.mark.django_db
def test_re_enable_takes_post_only(client, dealer, customer):
    endpoint = _disabled_endpoint(customer)
    client.force_login(dealer)

    response = client.get(f"/portal/webhooks/{endpoint.pk}/enable/")

    assert response.status_code == 405
    assert not WebhookEndpoint.objects.get(pk=endpoint.pk).is_active
