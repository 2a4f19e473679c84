"""core.db.Prepared: the intake's statements are prepared once per database session, then only executed.

Against the real PostgreSQL: what the server holds (pg_prepared_statements), what each run sends, that
results equal the plain statement's, and that a new session, a rollback or a failed run never leaves a
name that is not (or is already) there.
"""

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from core.db import AnyOf, BulkInsert, CompiledQuery, Prepared
from core.events import emit
from core.models import OutboxEvent
from crm.tests.factories import CustomerFactory
from inventory.models import Product
from inventory.tests.factories import ProductFactory
from pricing.models import CustomerPrice
from pricing.services import _pricing_products

pytestmark = pytest.mark.postgres


def _server_side() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


def _run(statement: Prepared, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        statement.execute(cursor, params)
        return cursor.fetchall()


def _lose(statement: Prepared) -> None:
    # What a pooler's reset or DISCARD ALL does to every statement (only this one here: the session's
    # others belong to the rest of the suite).
    with connection.cursor() as cursor:
        cursor.execute(f"DEALLOCATE oms_{statement._key}_{statement._generation}")


@pytest.mark.django_db
def test_the_first_run_prepares_and_executes_in_one_query_later_runs_only_execute():
    statement = Prepared("SELECT %s::int + %s::int, '100%%'")

    with CaptureQueriesContext(connection) as ctx:
        first = _run(statement, [1, 2])
        second = _run(statement, [40, 2])

    assert first == [(3, "100%")]
    assert second == [(42, "100%")]
    prepare, execute = (q["sql"] for q in ctx.captured_queries)
    name = execute.split("(")[0].removeprefix("EXECUTE ")
    assert prepare.startswith(f"PREPARE {name} AS SELECT $1::int + $2::int, '100%'; EXECUTE {name}(1, 2)")
    assert execute == f"EXECUTE {name}(40, 2)"
    assert name in _server_side()


@pytest.mark.django_db(transaction=True)
def test_a_new_session_prepares_again():
    statement = Prepared("SELECT %s::int * 2")
    assert _run(statement, [2]) == [(4,)]

    connection.close()  # a new session knows no prepared statements
    with CaptureQueriesContext(connection) as ctx:
        assert _run(statement, [3]) == [(6,)]

    assert ctx.captured_queries[0]["sql"].startswith("PREPARE ")


@pytest.mark.django_db
def test_a_rolled_back_transaction_keeps_the_statement():
    statement = Prepared("SELECT %s::int + 1")
    try:
        with transaction.atomic():
            assert _run(statement, [1]) == [(2,)]
            raise RuntimeError("roll back")
    except RuntimeError:
        pass

    with CaptureQueriesContext(connection) as ctx:
        assert _run(statement, [2]) == [(3,)]
    assert ctx.captured_queries[0]["sql"].startswith("EXECUTE ")


@pytest.mark.django_db
def test_a_failed_first_run_leaves_the_next_one_working():
    # The PREPARE takes, its EXECUTE fails (division by zero), the transaction rolls back: whether the
    # name exists is unknown to the caller, so the next run prepares under a new name.
    statement = Prepared("SELECT 10 / %s::int")
    with pytest.raises(DatabaseError), transaction.atomic():
        _run(statement, [0])

    assert _run(statement, [5]) == [(2,)]
    assert _run(statement, [2]) == [(5,)]


@pytest.mark.django_db
def test_with_the_setting_off_the_sql_runs_as_it_is(settings):
    settings.DATABASE_PREPARED_STATEMENTS = False
    statement = Prepared("SELECT %s::int - 1")

    with CaptureQueriesContext(connection) as ctx:
        assert _run(statement, [1]) == [(0,)]

    assert ctx.captured_queries[0]["sql"] == "SELECT 1::int - 1"


@pytest.mark.django_db
def test_compiled_objects_equal_the_querysets_instances_with_their_annotations():
    customer = CustomerFactory()
    products = [ProductFactory() for _ in range(3)]
    CustomerPrice.objects.create(customer=customer, product=products[1], price=Decimal("9.90"))
    skus = [p.sku for p in products]
    query = CompiledQuery(
        lambda pk, marker: _pricing_products(pk, marker, with_stock=True, compiled=True),
        -2_000_000_001,
        ["\0sku"],
    )
    fields = [f.attname for f in Product._meta.concrete_fields]
    extras = ["negotiated_price", "has_options", "stock_available", "stock_incoming"]

    for _run_twice in range(2):  # prepared, then executed
        mine = sorted(query.objects(customer.pk, skus), key=lambda p: p.sku)
        theirs = sorted(
            _pricing_products(customer.pk, skus, with_stock=True, compiled=False), key=lambda p: p.sku
        )
        assert [[getattr(p, n) for n in fields + extras] for p in mine] == [
            [getattr(p, n) for n in fields + extras] for p in theirs
        ]
        assert all(not p._state.adding and p._state.db == "default" for p in mine)
    assert mine[1].negotiated_price == Decimal("9.90")


@pytest.mark.django_db
def test_objects_refuses_a_query_without_all_the_models_columns():
    query = CompiledQuery(lambda skus: Product.objects.filter(AnyOf(F("sku"), skus)).only("sku"), ["\0m"])

    with pytest.raises(ValueError, match="own columns"):
        query.objects(["x"])


@pytest.mark.django_db
def test_rows_with_their_own_primary_keys_are_written_as_bulk_create_writes_them():
    event_id = emit("order.tested", order_id=7, note="北门 100%")
    row = OutboxEvent.objects.get(pk=event_id)
    assert (row.name, row.payload, row.aggregate_type, row.aggregate_id) == (
        "order.tested",
        {"order_id": 7, "note": "北门 100%"},
        "order",
        "7",
    )
    mine = OutboxEvent(name="x.y", payload={"a": [1, "2"]})
    theirs = OutboxEvent(name="x.y", payload={"a": [1, "2"]})
    BulkInsert(OutboxEvent, own_pk=True)([mine])
    OutboxEvent.objects.bulk_create([theirs])
    columns = [f.attname for f in OutboxEvent._meta.concrete_fields if f.attname not in ("id", "occurred_at")]
    assert list(OutboxEvent.objects.filter(pk=mine.pk).values_list(*columns)) == list(
        OutboxEvent.objects.filter(pk=theirs.pk).values_list(*columns)
    )
    assert not mine._state.adding


@pytest.mark.django_db(transaction=True)
def test_a_statement_the_session_lost_is_prepared_again_at_once_outside_a_transaction():
    statement = Prepared("SELECT %s::int + 10")
    assert _run(statement, [1]) == [(11,)]
    _lose(statement)

    with CaptureQueriesContext(connection) as ctx:
        assert _run(statement, [2]) == [(12,)]

    assert [q["sql"].split(" ")[0] for q in ctx.captured_queries] == ["EXECUTE", "PREPARE"]


@pytest.mark.django_db
def test_inside_a_transaction_a_lost_statement_fails_that_run_once_and_the_next_prepares_it():
    statement = Prepared("SELECT %s::int + 20")
    assert _run(statement, [1]) == [(21,)]
    _lose(statement)

    with pytest.raises(DatabaseError, match="does not exist"), transaction.atomic():
        _run(statement, [2])

    assert _run(statement, [3]) == [(23,)]


def test_the_name_comes_from_the_sql_so_every_process_means_the_same_statement():
    assert Prepared("SELECT 1")._key == Prepared("SELECT 1")._key != Prepared("SELECT 2")._key


def test_own_keys_and_then_do_not_go_together():
    with pytest.raises(ValueError, match="own keys"):
        BulkInsert(OutboxEvent, then="SELECT 1", own_pk=True)


@pytest.mark.django_db
def test_objects_refuses_a_query_with_related_rows():
    query = CompiledQuery(
        lambda skus: Product.objects.select_related("category").filter(AnyOf(F("sku"), skus)), ["\0m"]
    )

    with pytest.raises(ValueError, match="related rows"):
        query.objects(["x"])
