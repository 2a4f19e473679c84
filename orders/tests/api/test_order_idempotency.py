import datetime as dt
import threading

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from core.models import OutboxEvent
from crm.tests.factories import AddressFactory, CustomerFactory, UserFactory, dealer_user
from inventory.tests.factories import ProductFactory
from orders.api import views
from orders.models import Order, OrderEvent
from orders.tests.api.support import client_for, dealer, dealer_order
from orders.tests.factories import recount_commitments
from restapi.idempotency import scope_for
from restapi.models import IdempotencyKey

URL = "/api/v1/orders/"


def body(product, quantity: int = 1, **extra) -> dict:
    return {"lines": [{"sku": product.sku, "quantity": quantity}], **extra}


def post(client, data, key: str | None = "k-1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(URL, data, format="json", **headers)


@pytest.mark.django_db
def test_a_retry_with_the_same_key_and_body_returns_the_original_response_and_creates_nothing():
    _customer, _user, client = dealer()
    product = ProductFactory()

    first = post(client, body(product))
    retry = post(client, body(product))

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Location"] == first["Location"]
    assert retry["ETag"] == first["ETag"]
    assert retry["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert Order.objects.count() == 1
    assert OrderEvent.objects.filter(kind="order.created").count() == 1


@pytest.mark.django_db
def test_a_retry_leaves_no_trace_of_running_again():
    """A retry's own work is rolled back: no event, no outbox message, no order number used up."""
    _customer, _user, client = dealer()
    product = ProductFactory()

    first = post(client, body(product))
    post(client, body(product))
    after = post(client, body(product), key="k-2")

    assert OrderEvent.objects.filter(kind="order.created").count() == 2
    assert OutboxEvent.objects.filter(name="order.submitted").count() == 2
    assert int(after.json()["number"].rsplit("-", 1)[1]) == int(first.json()["number"].rsplit("-", 1)[1]) + 1
    assert IdempotencyKey.objects.count() == 2


@pytest.mark.django_db
def test_a_retry_whose_input_no_longer_passes_still_gets_the_original_answer():
    _customer, _user, client = dealer()
    product = ProductFactory()
    first = post(client, body(product))
    product.is_active = False
    product.save()

    retry = post(client, body(product))

    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_a_server_error_on_a_retry_still_gets_the_original_answer(monkeypatch):
    _customer, _user, client = dealer()
    client.raise_request_exception = False
    product = ProductFactory()
    first = post(client, body(product))

    def boom(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(views, "order_create", boom)
    retry = post(client, body(product))

    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_with_a_different_invalid_body_is_refused_with_422():
    _customer, _user, client = dealer()
    post(client, body(ProductFactory()))

    response = post(client, {"lines": [{"sku": "NOPE", "quantity": 1}]})

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_mismatch"
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_the_body_is_compared_as_json_not_as_bytes():
    _customer, _user, client = dealer()
    product = ProductFactory()

    first = client.post(
        URL,
        data=f'{{"lines": [{{"sku": "{product.sku}", "quantity": 1}}]}}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    retry = client.post(
        URL,
        data=f'{{ "lines" : [ {{ "quantity" : 1, "sku" : "{product.sku}" }} ] }}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )

    assert first.status_code == retry.status_code == 201
    assert retry["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_with_a_different_body_is_refused_with_422():
    _customer, _user, client = dealer()
    product = ProductFactory()
    post(client, body(product, 1))

    response = post(client, body(product, 2))

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_mismatch"
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_on_another_endpoint_is_a_different_request():
    customer, _user, client = dealer()
    order = dealer_order(customer)
    post(client, body(ProductFactory()), key="shared")

    response = client.post(
        f"/api/v1/orders/{order.number}/cancel/",
        {"reason": "x"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="shared",
    )

    assert response.status_code == 422
    order.refresh_from_db()
    assert order.status == "submitted"


@pytest.mark.django_db
def test_keys_are_scoped_per_dealer():
    _first, _user1, client1 = dealer()
    _second, _user2, client2 = dealer()
    product = ProductFactory()

    one = post(client1, body(product), key="same")
    two = post(client2, body(product), key="same")

    assert one.status_code == two.status_code == 201
    assert one.json()["number"] != two.json()["number"]
    assert Order.objects.count() == 2


@pytest.mark.django_db
def test_two_users_of_one_dealer_share_its_keys():
    customer, _user, client = dealer()
    colleague = UserFactory()
    customer.users.add(colleague)
    product = ProductFactory()

    first = post(client, body(product), key="po-1")
    second = post(client_for(colleague), body(product), key="po-1")

    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_input_errors_are_not_stored_so_the_key_can_be_retried_with_fixed_input():
    _customer, _user, client = dealer()
    product = ProductFactory()

    bad = post(client, {"lines": [{"sku": "NOPE", "quantity": 1}]})
    assert bad.status_code == 400
    assert not IdempotencyKey.objects.exists()

    fixed = post(client, body(product))
    assert fixed.status_code == 201
    assert not fixed.has_header("Idempotent-Replayed")
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_a_business_refusal_is_stored_and_replayed():
    customer, _user, client = dealer()
    existing = dealer_order(customer, external_reference="PO-1")
    product = ProductFactory()

    first = post(client, body(product, external_reference="PO-1"))
    existing.external_reference = "renamed"
    existing.save(update_fields=["external_reference"])
    retry = post(client, body(product, external_reference="PO-1"))

    assert first.status_code == retry.status_code == 409
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["x" * 256, "", "   ", "clé"])
def test_an_unusable_key_is_refused_with_400(key):
    _customer, _user, client = dealer()

    response = client.post(
        URL, body(ProductFactory()), format="json", HTTP_IDEMPOTENCY_KEY=key.encode().decode("latin-1")
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["Idempotency-Key"]
    assert not Order.objects.exists()
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_a_key_of_255_characters_is_fine():
    _customer, _user, client = dealer()

    assert post(client, body(ProductFactory()), key="k" * 255).status_code == 201


@pytest.mark.django_db
def test_a_request_still_in_progress_is_answered_409_with_retry_after():
    # A key row without a response, as versions before issue #6 §5 committed while their request ran.
    _customer, _user, client = dealer()
    product = ProductFactory()

    first = post(client, body(product), key="busy")
    IdempotencyKey.objects.filter(key="busy").update(response_status=None, response_body=None)
    Order.objects.all().delete()
    recount_commitments()

    response = post(client, body(product), key="busy")

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_request_in_progress"
    assert response["Retry-After"] == "1"
    assert first.status_code == 201
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_a_key_left_behind_by_a_dead_request_is_taken_over():
    _customer, _user, client = dealer()
    product = ProductFactory()
    post(client, body(product), key="dead")
    IdempotencyKey.objects.filter(key="dead").update(
        response_status=None, response_body=None, created_at=timezone.now() - dt.timedelta(minutes=5)
    )
    Order.objects.all().delete()
    recount_commitments()

    response = post(client, body(product), key="dead")

    assert response.status_code == 201
    assert not response.has_header("Idempotent-Replayed")
    assert Order.objects.count() == 1
    assert IdempotencyKey.objects.get(key="dead").response_status == 201


@pytest.mark.django_db
def test_a_key_older_than_the_ttl_is_treated_as_new(settings):
    _customer, _user, client = dealer()
    product = ProductFactory()
    post(client, body(product, 1), key="old")
    IdempotencyKey.objects.filter(key="old").update(
        created_at=timezone.now() - dt.timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS + 1)
    )

    response = post(client, body(product, 2), key="old")

    assert response.status_code == 201
    assert Order.objects.count() == 2


@pytest.mark.django_db
def test_a_server_error_leaves_no_key_behind(monkeypatch):
    _customer, _user, client = dealer()
    client.raise_request_exception = False

    def boom(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(views, "order_create", boom)
    response = post(client, body(ProductFactory()))

    assert response.status_code == 500
    assert not IdempotencyKey.objects.exists()
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_the_scope_is_the_dealers_sorted_customer_ids_and_fits_the_column():
    assert scope_for([3, 11]) == "dealer:3,11"
    long = scope_for(list(range(1000, 1100)))
    assert len(long) <= 64
    assert long != scope_for(list(range(1000, 1101)))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_with_one_key_create_exactly_one_order():
    customer = CustomerFactory()
    AddressFactory(customer=customer)
    user = dealer_user(customer)
    product = ProductFactory()
    clients = [client_for(user), client_for(user)]
    barrier = threading.Barrier(2)
    responses: list = [None, None]

    def place(index: int):
        try:
            barrier.wait(timeout=10)
            responses[index] = post(clients[index], body(product), key="race")
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=place, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert [r.status_code for r in responses] == [201, 201]
    assert responses[0].json()["number"] == responses[1].json()["number"]
    assert sorted(r.has_header("Idempotent-Replayed") for r in responses) == [False, True]
    assert Order.objects.count() == 1
    assert IdempotencyKey.objects.filter(key="race").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_different_keys_and_one_external_reference_create_one_order():
    customer = CustomerFactory()
    AddressFactory(customer=customer)
    user = dealer_user(customer)
    product = ProductFactory()
    clients = [client_for(user) for _ in range(3)]
    barrier = threading.Barrier(3)
    responses: list = [None] * 3

    def place(index: int):
        try:
            barrier.wait(timeout=10)
            responses[index] = post(
                clients[index], body(product, external_reference="PO-RACE"), key=f"k{index}"
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=place, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(r.status_code for r in responses) == [201, 409, 409]
    assert Order.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_different_requests_with_one_key_write_one_order_and_refuse_the_other():
    customer = CustomerFactory()
    AddressFactory(customer=customer)
    user = dealer_user(customer)
    product = ProductFactory()
    clients = [client_for(user), client_for(user)]
    barrier = threading.Barrier(2)
    responses: list = [None, None]

    def place(index: int):
        try:
            barrier.wait(timeout=10)
            responses[index] = post(clients[index], body(product, quantity=index + 1), key="race")
        finally:
            connection.close()

    threads = [threading.Thread(target=place, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(r.status_code for r in responses) == [201, 422]
    assert Order.objects.count() == 1
    assert OrderEvent.objects.filter(kind="order.created").count() == 1
    assert OutboxEvent.objects.filter(name="order.submitted").count() == 1
    assert IdempotencyKey.objects.get(key="race").response_status == 201
