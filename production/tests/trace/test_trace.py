import pytest

from orders.states import OrderStatus
from orders.tests.factories import make_order
from production.models import WorkOrderStage
from production.selectors.trace import trace_batch, trace_order_line, trace_search, trace_serial
from production.services.completion import work_order_complete
from production.states import TrackingMode, WorkOrderStatus
from production.tests.factories_mat import (
    make_built_product,
    make_component,
    make_family,
    make_plant,
    make_work_order,
)

pytestmark = pytest.mark.django_db
W = WorkOrderStatus


@pytest.fixture
def built():
    """A serial-tracked truck built for an order (2 units) from a frame recorded with its lot."""
    plant = make_plant()
    product = make_built_product(family=make_family(tracking=TrackingMode.SERIAL))
    frame = make_component(warehouse=plant.warehouse, on_hand=5, name="Frame")
    order = make_order(products=[product], quantities=[2], status=OrderStatus.IN_PRODUCTION)
    line = order.lines.get()
    work_order = make_work_order(
        plant=plant, order_line=line, quantity=2, status=W.IN_PROGRESS, materials={frame: 2}
    )
    done = work_order_complete(
        work_order_id=work_order.pk, serials=["VIN-A", "VIN-B"], lots={frame.pk: "FR-9"}
    )
    return plant, order, line, frame, done


def test_from_a_serial_to_its_batch_plant_stages_and_component_lots(built):
    plant, _order, line, frame, work_order = built

    trace = trace_serial("vin-a")

    assert trace["serial"] == "VIN-A"
    assert trace["order_line"]["line_id"] == line.pk
    assert trace["batch"]["number"] == work_order.batches.get().number
    assert trace["plant"]["code"] == plant.code
    assert trace["work_order"]["number"] == work_order.number
    stages = WorkOrderStage.objects.filter(work_order=work_order).order_by("position")
    assert [(s["code"], s["started_at"], s["finished_at"]) for s in trace["stages"]] == [
        (s.code, s.started_at, s.finished_at) for s in stages
    ]
    assert [(c["sku"], c["lots"]) for c in trace["components"]] == [(frame.sku, ["FR-9"])]


def test_from_an_order_line_to_its_batches(built):
    _plant, _order, line, _frame, work_order = built

    trace = trace_order_line(line.pk)

    assert [wo["number"] for wo in trace["work_orders"]] == [work_order.number]
    assert [b["batch"]["number"] for b in trace["batches"]] == [work_order.batches.get().number]


def test_from_a_batch_back_to_every_order_that_received_its_units(built):
    _plant, order, line, _frame, work_order = built

    trace = trace_batch(work_order.batches.get().number)

    assert [(o["order_number"], o["customer"], o["line_id"], o["units"]) for o in trace["orders"]] == [
        (order.number, order.customer.name, line.pk, 2)
    ]
    assert trace["orders"][0]["serials"] == ["VIN-A", "VIN-B"]
    assert trace["limit"] == ""


def test_a_batch_tracked_order_build_reaches_its_order_through_the_work_order():
    plant = make_plant()
    product = make_built_product()
    order = make_order(products=[product], quantities=[3], status=OrderStatus.IN_PRODUCTION)
    work_order = make_work_order(plant=plant, order_line=order.lines.get(), quantity=3, status=W.IN_PROGRESS)
    work_order_complete(work_order_id=work_order.pk)

    trace = trace_batch(work_order.batches.get().number)

    assert [(o["order_number"], o["units"], o["via"]) for o in trace["orders"]] == [
        (order.number, 3, "work_order")
    ]


def test_a_make_to_stock_batch_lists_its_receipt_and_says_orders_are_not_traced_per_unit():
    plant = make_plant()
    work_order = make_work_order(
        plant=plant,
        product=make_built_product(made_to_order=False),
        quantity=4,
        status=W.IN_PROGRESS,
        expected_receipt=True,
    )
    work_order_complete(work_order_id=work_order.pk)

    trace = trace_batch(work_order.batches.get().number)

    assert trace["orders"] == []
    assert [(r["warehouse"], r["quantity"]) for r in trace["receipts"]] == [(plant.warehouse.code, 4)]
    assert trace["limit"]


def test_search_finds_serials_batches_and_orders(built):
    _plant, order, line, _frame, work_order = built
    batch = work_order.batches.get().number

    assert trace_search("VIN-B")["serial"]["serial"] == "VIN-B"
    assert trace_search(batch)["batch"]["batch"]["number"] == batch
    assert [t["line"]["line_id"] for t in trace_search(order.number)["order_lines"]] == [line.pk]
    assert trace_search("nothing-like-it") == {
        "query": "nothing-like-it",
        "serial": None,
        "batch": None,
        "order_lines": [],
    }
