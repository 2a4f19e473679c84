"""Every admin page of every registered model opens for an order manager and is closed to a dealer."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import Contact, Customer
from finance.models import Invoice
from inventory.models import Product, StockLevel
from orders.models import Order
from orders.tests.factories import make_order
from pricing.models import TierDiscount
from restapi.models import ApiToken
from tests.admin.factories import make_instance

PROJECT_APPS = {
    "core",
    "crm",
    "inventory",
    "pricing",
    "restapi",
    "finance",
    "orders",
    "production",
    "logistics",
    "webhooks",
    "analytics",
}
# Users and groups (django.contrib.auth) are the superuser's business, not a role's.
MODELS = sorted(
    (model for model in admin.site._registry if model._meta.app_label in PROJECT_APPS),
    key=lambda model: model._meta.label,
)


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _can_add(model, user) -> bool:
    request = RequestFactory().get("/")
    request.user = user
    return admin.site._registry[model].has_add_permission(request)


def test_every_project_app_has_models_in_the_admin():
    assert {model._meta.app_label for model in MODELS} >= PROJECT_APPS - {"webhooks"}


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_order_manager_opens_the_changelist_search_and_change_page(model, manager, manager_client):
    obj = make_instance(model)

    changelist = manager_client.get(_url(model, "changelist"))
    searched = manager_client.get(_url(model, "changelist"), {"q": "x"})
    change = manager_client.get(_url(model, "change", obj.pk))

    assert changelist.status_code == 200
    assert searched.status_code == 200
    assert change.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("model", list(MODELS), ids=lambda model: model._meta.label)
def test_order_manager_opens_the_add_page_where_allowed(model, manager, manager_client):
    if not _can_add(model, manager):
        assert manager_client.get(_url(model, "add")).status_code == 403
        return

    response = manager_client.get(_url(model, "add"))

    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_dealer_is_sent_to_the_login_page(model, dealer, dealer_client):
    obj = make_instance(model)
    login = reverse("admin:login")

    responses = [
        dealer_client.get(_url(model, "changelist")),
        dealer_client.get(_url(model, "change", obj.pk)),
        dealer_client.get(_url(model, "add")),
    ]

    assert [r.status_code for r in responses] == [302, 302, 302]
    assert all(r["Location"].startswith(login) for r in responses)
    assert not dealer.is_staff
    assert dealer.groups.filter(name="Dealer").exists()


@pytest.mark.django_db
def test_order_manager_can_add_where_the_role_says(manager):
    addable = {model for model in MODELS if _can_add(model, manager)}

    assert {Order, Customer, Contact, Product, StockLevel, ApiToken} <= addable
    assert not {Invoice, TierDiscount} & addable


@pytest.mark.django_db
def test_order_list_query_count_does_not_grow_with_orders(manager_client, django_assert_num_queries):
    make_order()
    with CaptureQueriesContext(connection) as few:
        manager_client.get(_url_of_orders())
    for _ in range(4):
        make_order()
    with CaptureQueriesContext(connection) as more:
        response = manager_client.get(_url_of_orders())

    assert response.status_code == 200
    assert len(more.captured_queries) == len(few.captured_queries)


def _url_of_orders():
    return reverse("admin:orders_order_changelist")


@pytest.mark.django_db
def test_every_add_page_the_admin_offers_renders_for_a_superuser(client):
    superuser = get_user_model().objects.create_superuser("root", "root@example.com", "pass12345!")
    client.force_login(superuser)
    offered = [model for model in MODELS if _can_add(model, superuser)]

    statuses = {model._meta.label: client.get(_url(model, "add")).status_code for model in offered}

    assert statuses == dict.fromkeys(statuses, 200)
    assert len(offered) > len(MODELS) / 2
