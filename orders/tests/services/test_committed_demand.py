"""Committed demand kept as a ledger (issue #6 §5): every writer keeps it, folding keeps it short.

Each product's committed demand (units promised to submitted, not closed orders, not reserved yet) is
the sum of its ledger rows; the suite-wide guard (conftest._committed_demand_adds_up) checks after every
test that the ledger, the lines' own figures and the orders as they are agree. Here: the figure after
each kind of change, folding, the rebuild, and concurrent intakes on PostgreSQL.
"""

import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from crm.tests.factories import AddressFactory, CustomerFactory
from inventory.tests.factories import ProductFactory, StockLevelFactory
from orders.models import Channel, CommittedDemand, OrderLine
from orders.selectors import COMMITTED_DEMAND_FOLD_AT, committed_demand, committed_demand_drift
from orders.services import (
    LineChange,
    order_allocate,
    order_approve,
    order_cancel,
    order_change,
    order_create,
    order_reject,
    order_reopen,
    order_submit,
)
from orders.services.commitments import committed_demand_fold, committed_demand_rebuild
from orders.tasks import committed_demand_check_task, committed_demand_fold_task
from orders.tests.factories import make_order
from pricing.services import LineRequest


def buyer():
    customer = CustomerFactory()
    AddressFactory(customer=customer)
    return customer


def place(product, quantity, *, customer=None, submit=True):
    return order_create(
        customer=customer or buyer(),
        channel=Channel.ADMIN,
        lines=[LineRequest(sku=product.sku, quantity=quantity)],
        submit=submit,
    )


def committed(product) -> int:
    return committed_demand(product_ids=[product.pk])[0].get(product.pk, 0)


def rows(product) -> int:
    return CommittedDemand.objects.filter(product=product).count()


@pytest.mark.django_db
def test_the_figure_follows_an_order_from_draft_to_cancellation():
    product = ProductFactory()
    StockLevelFactory(product=product, on_hand=3)

    draft = place(product, 5, submit=False)
    assert committed(product) == 0  # a draft promises nothing

    order_submit(order_id=draft.pk)
    assert committed(product) == 5

    order_approve(order_id=draft.pk)
    assert committed(product) == 5  # approved, not reserved yet

    order_allocate(order_id=draft.pk)
    assert committed(product) == 2  # 3 reserved, 2 still wait (backorder)

    order_cancel(order_id=draft.pk, reason="no longer needed")
    assert committed(product) == 0  # closed: nothing more is promised


@pytest.mark.django_db
def test_a_rejected_order_stops_counting_and_counts_again_once_resubmitted():
    product = ProductFactory()
    order = place(product, 4)
    order_reject(order_id=order.pk, reason="wrong dealer")  # before its review opened
    assert committed(product) == 0

    order_reopen(order_id=order.pk)
    assert committed(product) == 0  # a draft again
    order_submit(order_id=order.pk)
    assert committed(product) == 4


@pytest.mark.django_db
def test_changed_lines_change_the_figure_removed_lines_take_theirs_away():
    kept, dropped, added = ProductFactory(), ProductFactory(), ProductFactory()
    order = order_create(
        customer=buyer(),
        channel=Channel.ADMIN,
        lines=[LineRequest(sku=kept.sku, quantity=2), LineRequest(sku=dropped.sku, quantity=3)],
    )
    first, second = OrderLine.objects.filter(order=order).order_by("position")

    order_change(
        order_id=order.pk,
        actor=None,
        expected_version=order.version,
        lines=[
            LineChange(line_id=first.pk, quantity=7),
            LineChange(line_id=second.pk, remove=True),
            LineChange(sku=added.sku, quantity=1),
        ],
    )

    assert (committed(kept), committed(dropped), committed(added)) == (7, 0, 1)


@pytest.mark.django_db
def test_lines_production_builds_count_nothing():
    built, stocked = ProductFactory(made_to_order=True), ProductFactory()

    order = make_order(products=[built, stocked], quantities=[3, 2])

    counted = dict(OrderLine.objects.filter(order=order).values_list("product_id", "committed_units"))
    assert counted == {built.pk: 0, stocked.pk: 2}
    assert (committed(built), committed(stocked)) == (0, 2)


@pytest.mark.django_db(transaction=True)
def test_intake_folds_a_crowded_product_once_its_order_has_committed():
    product = ProductFactory()
    StockLevelFactory(product=product, on_hand=1000)  # ATP reads committed demand when stock exists
    customer = buyer()
    for _ in range(COMMITTED_DEMAND_FOLD_AT + 1):
        place(product, 1, customer=customer)
    assert rows(product) == COMMITTED_DEMAND_FOLD_AT + 1  # one row per order so far
    assert committed_demand(product_ids=[product.pk])[1] == [product.pk]  # read as crowded

    place(product, 1, customer=customer)  # this intake saw the crowd: it folds after its commit

    assert rows(product) == 1
    assert committed(product) == COMMITTED_DEMAND_FOLD_AT + 2


@pytest.mark.django_db
def test_the_sweep_folds_every_product_and_drops_sums_of_zero():
    busy, gone = ProductFactory(), ProductFactory()
    for _ in range(3):
        place(busy, 2)
    order = place(gone, 5)
    order_cancel(order_id=order.pk, reason="x")
    assert (rows(busy), rows(gone)) == (3, 2)

    folded = committed_demand_fold()

    assert folded == 5
    assert (rows(busy), rows(gone)) == (1, 0)
    assert (committed(busy), committed(gone)) == (6, 0)
    assert committed_demand_fold() == 0  # nothing left to fold


@pytest.mark.django_db
def test_the_rebuild_recounts_lines_written_around_the_services():
    product = ProductFactory()
    order = place(product, 5)
    OrderLine.objects.filter(order=order).update(quantity=9)  # a bulk load, say
    assert committed_demand_drift() == {product.pk: (5, 5, 9)}

    changed = committed_demand_rebuild()

    assert changed == 1
    assert committed_demand_drift() == {}
    assert (committed(product), rows(product)) == (9, 1)


@pytest.mark.django_db
def test_reading_the_figure_costs_one_query_whatever_the_backlog():
    product = ProductFactory()
    for _ in range(5):
        place(product, 1)
    with CaptureQueriesContext(connection) as few:
        committed_demand(product_ids=[product.pk])
    for _ in range(40):
        place(product, 1)
    committed_demand_fold(product_ids=[product.pk])
    with CaptureQueriesContext(connection) as many:
        units, _crowded = committed_demand(product_ids=[product.pk])

    assert len(few) == len(many) == 1
    assert units == {product.pk: 45}
    assert rows(product) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_intakes_allocations_and_folds_keep_every_sum():
    """Eight threads place, approve and allocate orders for the same two products while two others
    fold; nothing waits on a ledger row, and the sums match the lines at the end."""
    hot, warm = ProductFactory(), ProductFactory()
    StockLevelFactory(product=hot, on_hand=40)
    StockLevelFactory(product=warm, on_hand=10_000)
    customers = [buyer() for _ in range(8)]
    errors, stop = [], threading.Event()

    def intake(customer):
        try:
            for i in range(12):
                order = order_create(
                    customer=customer,
                    channel=Channel.ADMIN,
                    lines=[
                        LineRequest(sku=hot.sku, quantity=2),
                        LineRequest(sku=warm.sku, quantity=1 + i % 3),
                    ],
                )
                if i % 3 == 0:
                    order_approve(order_id=order.pk)
                    order_allocate(order_id=order.pk)
                elif i % 4 == 1:
                    order_cancel(order_id=order.pk, reason="x")
        except Exception as exc:  # noqa: BLE001  (reported by the main thread)
            errors.append(exc)
        finally:
            connections.close_all()

    def fold():
        try:
            while not stop.is_set():
                committed_demand_fold(product_ids=[hot.pk, warm.pk])
        except Exception as exc:  # noqa: BLE001  (reported by the main thread)
            errors.append(exc)
        finally:
            connections.close_all()

    folders = [threading.Thread(target=fold) for _ in range(2)]
    writers = [threading.Thread(target=intake, args=(c,)) for c in customers]
    for thread in folders + writers:
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    for thread in folders:
        thread.join()

    assert errors == []
    assert committed_demand_drift() == {}
    expected = {
        product.pk: sum(OrderLine.objects.filter(product=product).values_list("committed_units", flat=True))
        for product in (hot, warm)
    }
    assert committed_demand(product_ids=[hot.pk, warm.pk])[0] == {k: v for k, v in expected.items() if v}
    assert expected[hot.pk] > 0  # scarcity: some orders wait


@pytest.mark.django_db
def test_the_fold_sweep_takes_a_batch_of_products_at_a_time_until_none_is_left(monkeypatch):
    products = sorted((ProductFactory() for _ in range(3)), key=lambda p: p.pk)
    for product in products:
        place(product, 1)
        place(product, 2)
    queued = []
    monkeypatch.setattr(committed_demand_fold_task, "delay", lambda **kwargs: queued.append(kwargs))

    committed_demand_fold_task(batch=2)

    assert [rows(p) for p in products] == [1, 1, 2]
    assert queued == [{"after": products[1].pk, "batch": 2}]
    committed_demand_fold_task(**queued.pop())
    assert [(rows(p), committed(p)) for p in products] == [(1, 3)] * 3
    assert queued == []  # a batch that was not full: the chain ends


@pytest.mark.django_db
def test_the_periodic_task_folds_through_the_service():
    product = ProductFactory()
    for _ in range(3):
        place(product, 1)

    committed_demand_fold_task()

    assert (rows(product), committed(product)) == (1, 3)


@pytest.mark.django_db
def test_the_check_reports_drift_and_repairs_it(caplog):
    product = ProductFactory()
    order = place(product, 5)
    OrderLine.objects.filter(order=order).update(quantity=8)  # written around the services
    out = StringIO()

    with pytest.raises(SystemExit) as failed:
        call_command("committed_demand_check", stdout=out, stderr=StringIO())
    assert failed.value.code == 1
    assert f"product {product.pk}: ledger 5, lines record 5, lines count 8" in out.getvalue()
    assert committed_demand_check_task() == 1
    assert "Committed demand drift" in caplog.text

    call_command("committed_demand_check", "--repair", stdout=out)

    assert committed_demand_drift() == {}
    assert committed(product) == 8
    call_command("committed_demand_check", stdout=(ok := StringIO()))
    assert "adds up" in ok.getvalue()
