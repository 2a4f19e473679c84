import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from crm.tests.factories import CustomerFactory, UserFactory, dealer_user
from webhooks.models import WebhookEndpoint
from webhooks.tests.factories import WebhookDeliveryFactory, WebhookEndpointFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("webhooks.tests.api.urls")]
URL = "https://erp.dealer.example/oms/hooks"


@pytest.fixture
def customer():
    return CustomerFactory()


@pytest.fixture
def api(customer):
    client = APIClient()
    client.force_authenticate(dealer_user(customer))
    return client


def _list_url():
    return reverse("v1:webhook-endpoint-list")


def _detail_url(endpoint):
    return reverse("v1:webhook-endpoint-detail", args=[endpoint.pk])


def test_a_dealer_registers_an_endpoint_and_sees_the_secret_once(api, customer):
    response = api.post(
        _list_url(), {"url": URL, "event_types": ["order.approved", "invoice.issued"]}, format="json"
    )

    assert response.status_code == 201
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.customer == customer
    assert response.data["secret"] == endpoint.secret
    assert response.data["event_types"] == ["order.approved", "invoice.issued"]
    assert response.data["customer"] == customer.code
    assert "secret" not in api.get(_detail_url(endpoint)).data
    assert "secret" not in api.get(_list_url()).data["results"][0]


def test_validation_errors_use_the_one_envelope_and_write_nothing(api, public_targets_only):
    response = api.post(
        _list_url(),
        {"url": "http://erp.dealer.example/hooks", "event_types": ["order.teleported"]},
        format="json",
    )

    assert response.status_code == 400
    assert response.data["code"] == "invalid"
    assert sorted(response.data["fields"]) == ["event_types", "url"]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.usefixtures("public_targets_only")
@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hooks",
        "https://localhost/hooks",
        "https://10.20.30.40/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://loopback.dealer.example/hooks",
    ],
)
def test_a_url_on_a_private_or_loopback_address_is_a_400_on_url_and_writes_nothing(api, fake_dns, url):
    fake_dns["loopback.dealer.example"] = ["127.0.0.1"]

    response = api.post(_list_url(), {"url": url, "event_types": ["order.approved"]}, format="json")

    assert response.status_code == 400
    assert response.data["code"] == "invalid"
    assert list(response.data["fields"]) == ["url"]
    assert not WebhookEndpoint.objects.exists()


def test_patching_the_url_to_a_host_resolving_to_loopback_is_a_400_and_changes_nothing(
    api, customer, fake_dns, public_targets_only
):
    fake_dns.update({"erp.dealer.example": ["93.184.215.14"], "loopback.dealer.example": ["127.0.0.1"]})
    endpoint = WebhookEndpointFactory(customer=customer, url=URL)

    response = api.patch(_detail_url(endpoint), {"url": "https://loopback.dealer.example/h"}, format="json")

    assert response.status_code == 400
    assert list(response.data["fields"]) == ["url"]
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).url == URL


def test_unknown_event_types_are_reported_on_their_field(api):
    response = api.post(_list_url(), {"url": URL, "event_types": ["order.teleported"]}, format="json")

    assert response.status_code == 400
    assert "order.teleported" in response.data["fields"]["event_types"][0]
    assert not WebhookEndpoint.objects.exists()


def test_a_missing_url_is_a_field_error(api):
    response = api.post(_list_url(), {"event_types": []}, format="json")

    assert response.status_code == 400
    assert "url" in response.data["fields"]
    assert not WebhookEndpoint.objects.exists()


def test_a_dealer_group_user_must_name_the_customer(customer):
    other = CustomerFactory()
    user = dealer_user(customer)
    other.users.add(user)
    client = APIClient()
    client.force_authenticate(user)

    refused = client.post(_list_url(), {"url": URL}, format="json")
    accepted = client.post(_list_url(), {"url": URL, "customer": other.code}, format="json")

    assert refused.status_code == 400
    assert "customer" in refused.data["fields"]
    assert accepted.status_code == 201
    assert WebhookEndpoint.objects.get().customer == other


def test_a_user_acting_for_no_customer_cannot_register():
    client = APIClient()
    client.force_authenticate(UserFactory())

    response = client.post(_list_url(), {"url": URL}, format="json")

    assert response.status_code == 403
    assert response.data["code"] == "permission_denied"
    assert not WebhookEndpoint.objects.exists()


def test_anonymous_requests_are_refused():
    assert APIClient().get(_list_url()).status_code in (401, 403)


def test_the_list_shows_only_the_dealers_own_endpoints(api, customer):
    own = WebhookEndpointFactory(customer=customer)
    WebhookEndpointFactory()

    response = api.get(_list_url())

    assert [row["id"] for row in response.data["results"]] == [own.pk]


def test_another_dealers_endpoint_is_not_found_for_every_method(api):
    foreign = WebhookEndpointFactory()
    before = WebhookEndpoint.objects.values().get(pk=foreign.pk)

    responses = [
        api.get(_detail_url(foreign)),
        api.patch(_detail_url(foreign), {"url": URL}, format="json"),
        api.delete(_detail_url(foreign)),
        api.post(reverse("v1:webhook-endpoint-rotate-secret", args=[foreign.pk])),
    ]

    assert [r.status_code for r in responses] == [404] * 4
    assert all(r.data["code"] == "not_found" for r in responses)
    assert WebhookEndpoint.objects.values().get(pk=foreign.pk) == before


def test_patch_changes_the_subscription_and_re_enables(api, customer):
    endpoint = WebhookEndpointFactory(customer=customer, is_active=False)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=20)

    response = api.patch(
        _detail_url(endpoint), {"event_types": ["order.shipped"], "is_active": True}, format="json"
    )

    assert response.status_code == 200
    assert response.data["event_types"] == ["order.shipped"]
    assert response.data["is_active"] is True
    assert response.data["consecutive_failures"] == 0


def test_patch_with_a_bad_url_changes_nothing(api, customer):
    endpoint = WebhookEndpointFactory(customer=customer)

    response = api.patch(_detail_url(endpoint), {"url": "ftp://x.example/"}, format="json")

    assert response.status_code == 400
    assert "url" in response.data["fields"]
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).url == endpoint.url


def test_delete_removes_the_endpoint(api, customer):
    endpoint = WebhookEndpointFactory(customer=customer)

    response = api.delete(_detail_url(endpoint))

    assert response.status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_rotate_secret_returns_the_new_secret(api, customer):
    endpoint = WebhookEndpointFactory(customer=customer)

    response = api.post(reverse("v1:webhook-endpoint-rotate-secret", args=[endpoint.pk]))

    assert response.status_code == 200
    assert response.data["secret"] != endpoint.secret
    assert response.data["secret"] == WebhookEndpoint.objects.get(pk=endpoint.pk).secret


def test_deliveries_are_the_dealers_own_newest_first(api, customer):
    endpoint = WebhookEndpointFactory(customer=customer)
    older = WebhookDeliveryFactory(endpoint=endpoint)
    newer = WebhookDeliveryFactory(endpoint=endpoint)
    WebhookDeliveryFactory()

    response = api.get(reverse("v1:webhook-delivery-list"))

    assert response.status_code == 200
    assert [row["id"] for row in response.data["results"]] == [newer.pk, older.pk]
    assert response.data["results"][0]["event_id"] == str(newer.event_id)
    assert response.data["results"][0]["payload"] == newer.payload


def test_deliveries_page_with_a_cursor(api, customer):
    endpoint = WebhookEndpointFactory(customer=customer)
    ids = [WebhookDeliveryFactory(endpoint=endpoint).pk for _ in range(3)]

    first = api.get(reverse("v1:webhook-delivery-list"), {"page_size": 2})
    second = api.get(first.data["next"])

    seen = [row["id"] for row in first.data["results"] + second.data["results"]]
    assert seen == sorted(ids, reverse=True)
    assert second.data["next"] is None


def test_deliveries_filter_by_status(api, customer):
    endpoint = WebhookEndpointFactory(customer=customer)
    failed = WebhookDeliveryFactory(endpoint=endpoint, status="failed")
    WebhookDeliveryFactory(endpoint=endpoint)

    response = api.get(reverse("v1:webhook-delivery-list"), {"status": "failed"})

    assert [row["id"] for row in response.data["results"]] == [failed.pk]


@pytest.mark.parametrize("rows", [1, 6])
def test_list_query_counts_do_not_grow_with_rows(api, customer, rows, django_assert_num_queries):
    endpoint = WebhookEndpointFactory(customer=customer)
    for _ in range(rows):
        WebhookEndpointFactory(customer=customer)
        WebhookDeliveryFactory(endpoint=endpoint)

    # One query for the dealer's customers (the permission check), one for the page.
    with django_assert_num_queries(2):
        assert api.get(_list_url()).status_code == 200
    with django_assert_num_queries(2):
        assert api.get(reverse("v1:webhook-delivery-list")).status_code == 200


@pytest.mark.parametrize("endpoint_id", ["abc", "0", "-1", "1.0", "9223372036854775808", "9" * 40, "١"])
def test_an_id_that_cannot_exist_is_a_json_not_found_for_every_method(api, customer, endpoint_id):
    endpoint = WebhookEndpointFactory(customer=customer)
    before = WebhookEndpoint.objects.values().get(pk=endpoint.pk)
    detail = f"/api/v1/webhook-endpoints/{endpoint_id}/"

    responses = [
        api.get(detail),
        api.patch(detail, {"is_active": False}, format="json"),
        api.delete(detail),
        api.post(f"{detail}rotate-secret/"),
    ]

    assert [r.status_code for r in responses] == [404] * 4
    assert all(r["Content-Type"] == "application/json" and r.json()["code"] == "not_found" for r in responses)
    assert WebhookEndpoint.objects.values().get(pk=endpoint.pk) == before


def test_anonymous_requests_to_an_endpoint_are_unauthorized_not_not_found():
    response = APIClient().get("/api/v1/webhook-endpoints/abc/")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_user_acting_for_no_customer_is_forbidden_on_every_operation():
    client = APIClient()
    client.force_authenticate(UserFactory())
    endpoint = WebhookEndpointFactory()

    responses = [
        client.get(_list_url()),
        client.get(_detail_url(endpoint)),
        client.patch(_detail_url(endpoint), {"is_active": False}, format="json"),
        client.delete(_detail_url(endpoint)),
        client.post(reverse("v1:webhook-endpoint-rotate-secret", args=[endpoint.pk])),
        client.get(reverse("v1:webhook-delivery-list")),
    ]

    assert [r.status_code for r in responses] == [403] * 6
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).exists()


@pytest.mark.parametrize("url_name", ["v1:webhook-endpoint-list", "v1:webhook-delivery-list"])
def test_a_bad_cursor_is_a_field_error(api, url_name):
    response = api.get(reverse(url_name), {"cursor": "0"})

    assert response.status_code == 400
    assert response.data["code"] == "invalid"
    assert "cursor" in response.data["fields"]


@pytest.mark.parametrize("value", ["x", "1.5", "0", "9223372036854775808"])
def test_deliveries_refuse_an_endpoint_filter_that_is_not_an_id(api, value):
    response = api.get(reverse("v1:webhook-delivery-list"), {"endpoint": value})

    assert response.status_code == 400
    assert "endpoint" in response.data["fields"]


def test_deliveries_filter_by_endpoint(api, customer):
    endpoint = WebhookEndpointFactory(customer=customer)
    own = WebhookDeliveryFactory(endpoint=endpoint)
    WebhookDeliveryFactory(endpoint=WebhookEndpointFactory(customer=customer))

    response = api.get(reverse("v1:webhook-delivery-list"), {"endpoint": endpoint.pk})

    assert [row["id"] for row in response.data["results"]] == [own.pk]


def test_unknown_fields_are_refused_and_nothing_is_written(api, customer):
    endpoint = WebhookEndpointFactory(customer=customer)
    before = WebhookEndpoint.objects.values().get(pk=endpoint.pk)

    created = api.post(_list_url(), {"url": URL, "secret": "mine"}, format="json")
    changed = api.patch(_detail_url(endpoint), {"consecutive_failures": 0}, format="json")

    assert created.status_code == 400
    assert created.data["fields"] == {"secret": ["Unknown field."]}
    assert changed.status_code == 400
    assert changed.data["fields"] == {"consecutive_failures": ["Unknown field."]}
    assert list(WebhookEndpoint.objects.values()) == [before]


@pytest.mark.parametrize(
    "body",
    [
        {"is_active": "false"},
        {"is_active": 0},
        {"url": 5},
        {"event_types": "order.shipped"},
        {"url": "https://erp.dealer.example/\x00"},
    ],
)
def test_patch_refuses_values_of_the_wrong_json_type(api, customer, body):
    endpoint = WebhookEndpointFactory(customer=customer)
    before = WebhookEndpoint.objects.values().get(pk=endpoint.pk)

    response = api.patch(_detail_url(endpoint), body, format="json")

    assert response.status_code == 400
    assert set(response.data["fields"]) == set(body)
    assert WebhookEndpoint.objects.values().get(pk=endpoint.pk) == before


def test_a_customer_code_that_is_not_the_users_is_refused(api):
    foreign = CustomerFactory()

    response = api.post(_list_url(), {"url": URL, "customer": foreign.code}, format="json")

    assert response.status_code == 400
    assert "customer" in response.data["fields"]
    assert not WebhookEndpoint.objects.exists()
