"""core.db.CompiledQuery: compiled once, run with new values, the same rows as the queryset."""

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from core.db import AnyOf, CompiledQuery
from crm.models import Customer
from crm.tests.factories import CustomerFactory
from inventory.models import Product
from inventory.tests.factories import ProductFactory

pytestmark = pytest.mark.postgres


@pytest.mark.django_db
def test_the_same_statement_runs_with_each_calls_values():
    products = [ProductFactory() for _ in range(4)]
    query = CompiledQuery(
        lambda skus: Product.objects.filter(AnyOf(F("sku"), skus)).order_by("sku").values_list("sku"),
        ["\0marker"],
    )

    first_sql, first_params = query.sql([products[0].sku])
    second_sql, second_params = query.sql([p.sku for p in products[1:]])

    assert first_sql == second_sql
    assert first_params == [[products[0].sku]]
    assert second_params == [[p.sku for p in products[1:]]]
    assert query.rows([p.sku for p in products[1:3]]) == sorted((p.sku,) for p in products[1:3])
    assert query.rows(["nope"]) == []


@pytest.mark.django_db
def test_rows_equal_the_querysets_values_with_its_converters():
    customers = [CustomerFactory(), CustomerFactory()]

    def build(pk):
        return Customer.objects.filter(pk=pk).values_list("pk", "code", "credit_limit", "is_active")

    query = CompiledQuery(build, -2_000_000_001)

    for customer in customers:
        assert query.rows(customer.pk) == list(build(customer.pk))


@pytest.mark.django_db
def test_it_compiles_once():
    product = ProductFactory()
    built = []

    def build(skus):
        built.append(skus)
        return Product.objects.filter(AnyOf(F("sku"), skus)).values_list("pk")

    query = CompiledQuery(build, ["\0marker"])
    with CaptureQueriesContext(connection) as ctx:
        query.rows([product.sku])
        query.rows([product.sku])

    assert len(built) == 1
    assert len(ctx.captured_queries) == 2


def test_a_marker_missing_from_the_parameters_is_refused_when_compiling():
    query = CompiledQuery(lambda pk: Product.objects.filter(pk=1).values_list("pk"), -2_000_000_001)

    with pytest.raises(ValueError, match="markers"):
        query.sql(5)
