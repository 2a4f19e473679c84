"""Stock transfers between warehouses as documents: requested → shipped (in transit) → received (issue #8).

Fails on main: there was no transfer document, only the immediate `stock_transfer` move.
"""

import contextlib
import multiprocessing
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.errors import Conflict, InvalidTransition, ValidationFailed
from core.models import OutboxEvent
from inventory.errors import InsufficientStock
from inventory.models import MovementKind, StockLevel, StockMovement, StockTransfer, StockTransferEvent
from inventory.selectors import stock_drift, stock_in_transit, transfer_in_transit, transfer_suggestions
from inventory.services import DocumentRef, stock_receive, stock_reserve
from inventory.states import ALLOWED, TransferStatus
from inventory.tests.factories import ProductFactory, StockLevelFactory, WarehouseFactory
from inventory.transfers import (
    DOCUMENT_TYPE,
    transfer_cancel,
    transfer_receive,
    transfer_request,
    transfer_ship,
    transfer_update_lines,
)

pytestmark = pytest.mark.django_db
T = TransferStatus


@pytest.fixture
def setup():
    """Two products stocked at a source (10 and 6 on hand, 2 of the first reserved), an empty destination."""
    source, destination = WarehouseFactory(code="SRC"), WarehouseFactory(code="DST")
    first, second = ProductFactory(), ProductFactory()
    StockLevelFactory(product=first, warehouse=source, on_hand=10, reserved=2)
    StockLevelFactory(product=second, warehouse=source, on_hand=6)
    return source, destination, first, second


def _request(setup, quantities=(5, 6), **kwargs):
    source, destination, first, second = setup
    return transfer_request(
        from_warehouse_id=source.pk,
        to_warehouse_id=destination.pk,
        lines=[(first.pk, quantities[0]), (second.pk, quantities[1])],
        **kwargs,
    )


def _balances():
    return sorted(StockLevel.objects.values_list("product_id", "warehouse_id", "on_hand", "reserved"))


def _level(product, warehouse) -> tuple[int, int]:
    level = StockLevel.objects.filter(product=product, warehouse=warehouse).first()
    return (level.on_hand, level.reserved) if level else (0, 0)


def test_the_transition_table_is_written_out():
    expected = {
        T.REQUESTED: {T.SHIPPED, T.CANCELLED},
        T.SHIPPED: {T.RECEIVED},
        T.RECEIVED: set(),
        T.CANCELLED: set(),
    }
    assert expected == ALLOWED


def test_request_ship_receive_moves_the_ledger_and_announces_each_step(
    setup, emitted, django_capture_on_commit_callbacks
):
    source, destination, first, second = setup
    with django_capture_on_commit_callbacks(execute=True):
        transfer = _request(setup, reason="Rebalance")
    assert transfer.number.startswith("TRF-")
    assert transfer.status == T.REQUESTED
    assert _level(first, source) == (10, 2)  # a request moves nothing

    with django_capture_on_commit_callbacks(execute=True):
        transfer = transfer_ship(transfer_id=transfer.pk)
    assert transfer.status == T.SHIPPED
    assert transfer.shipped_at is not None
    assert _level(first, source) == (5, 2)
    assert _level(second, source) == (0, 0)
    assert _level(first, destination) == (0, 0)
    assert stock_in_transit(product_ids=[first.pk, second.pk]) == {
        (first.pk, destination.pk): 5,
        (second.pk, destination.pk): 6,
    }
    assert transfer_in_transit(transfer_id=transfer.pk) == {first.pk: 5, second.pk: 6}
    assert stock_drift() == []

    with django_capture_on_commit_callbacks(execute=True):
        transfer = transfer_receive(transfer_id=transfer.pk)
    assert transfer.status == T.RECEIVED
    assert transfer.received_at is not None
    assert _level(first, destination) == (5, 0)
    assert _level(second, destination) == (6, 0)
    assert stock_in_transit(product_ids=[first.pk, second.pk]) == {}
    assert transfer_in_transit(transfer_id=transfer.pk) == {}
    assert list(transfer.lines.order_by("pk").values_list("quantity_shipped", "quantity_received")) == [
        (5, 5),
        (6, 6),
    ]
    moves = StockMovement.objects.filter(document_type=DOCUMENT_TYPE, document_id=str(transfer.pk))
    assert sorted(moves.values_list("kind", "warehouse_id", "on_hand_delta")) == sorted(
        [
            (MovementKind.TRANSFER_OUT, source.pk, -5),
            (MovementKind.TRANSFER_OUT, source.pk, -6),
            (MovementKind.TRANSFER_IN, destination.pk, 5),
            (MovementKind.TRANSFER_IN, destination.pk, 6),
        ]
    )
    assert stock_drift() == []
    # Receiving makes stock available: inventory also says so (orders retry their backorders).
    assert [name for name, _payload in emitted] == [
        "transfer.requested",
        "transfer.shipped",
        "stock.replenished",
        "transfer.received",
    ]
    assert emitted[2][1]["warehouse_ids"] == [destination.pk]
    received = emitted[-1][1]
    assert received["to_warehouse_id"] == destination.pk
    assert received["product_ids"] == sorted([first.pk, second.pk])
    assert list(transfer.events.order_by("created_at", "id").values_list("kind", flat=True)) == [
        "transfer.requested",
        "transfer.shipped",
        "transfer.received",
    ]


def test_shipping_more_than_available_refuses_and_changes_nothing(setup):
    source, _destination, first, _second = setup
    transfer = _request(setup, quantities=(9, 6))  # 10 on hand but 2 reserved: 8 available
    before = (_balances(), StockMovement.objects.count(), OutboxEvent.objects.count())

    with pytest.raises(InsufficientStock) as refused:
        transfer_ship(transfer_id=transfer.pk)

    assert refused.value.lines == [
        {"product_id": first.pk, "warehouse_id": source.pk, "requested": 9, "available": 8}
    ]
    assert (_balances(), StockMovement.objects.count(), OutboxEvent.objects.count()) == before
    transfer.refresh_from_db()
    assert transfer.status == T.REQUESTED
    assert transfer.shipped_at is None
    assert list(transfer.lines.values_list("quantity_shipped", flat=True)) == [0, 0]
    assert stock_in_transit(product_ids=[first.pk]) == {}


def test_a_repeated_ship_or_receive_moves_stock_once(setup):
    transfer = _request(setup)
    transfer_ship(transfer_id=transfer.pk)
    after_ship = (_balances(), StockMovement.objects.count(), OutboxEvent.objects.count())

    again = transfer_ship(transfer_id=transfer.pk)

    assert again.status == T.SHIPPED
    assert (_balances(), StockMovement.objects.count(), OutboxEvent.objects.count()) == after_ship

    transfer_receive(transfer_id=transfer.pk)
    after_receive = (_balances(), StockMovement.objects.count(), OutboxEvent.objects.count())

    again = transfer_receive(transfer_id=transfer.pk)

    assert again.status == T.RECEIVED
    assert (_balances(), StockMovement.objects.count(), OutboxEvent.objects.count()) == after_receive
    assert stock_drift() == []


def test_cancel_before_shipping_moves_nothing_and_after_shipping_is_refused(setup):
    transfer = _request(setup)
    with pytest.raises(ValidationFailed):
        transfer_cancel(transfer_id=transfer.pk, reason=" ")
    cancelled = transfer_cancel(transfer_id=transfer.pk, reason="Not needed")
    assert cancelled.status == T.CANCELLED
    assert cancelled.cancelled_at is not None
    with pytest.raises(InvalidTransition):
        transfer_ship(transfer_id=transfer.pk)

    shipped = _request(setup, quantities=(1, 1))
    transfer_ship(transfer_id=shipped.pk)
    before = (_balances(), StockMovement.objects.count(), OutboxEvent.objects.count())

    with pytest.raises(InvalidTransition):
        transfer_cancel(transfer_id=shipped.pk, reason="Changed my mind")

    assert (_balances(), StockMovement.objects.count(), OutboxEvent.objects.count()) == before
    shipped.refresh_from_db()
    assert shipped.status == T.SHIPPED


def test_receiving_before_shipping_is_refused(setup):
    transfer = _request(setup)
    with pytest.raises(InvalidTransition):
        transfer_receive(transfer_id=transfer.pk)
    assert StockMovement.objects.filter(document_type=DOCUMENT_TYPE).count() == 0


def test_receiving_less_writes_the_rest_off_at_the_destination_with_a_reason(setup):
    _source, destination, first, second = setup
    transfer = _request(setup)
    transfer_ship(transfer_id=transfer.pk)
    with pytest.raises(ValidationFailed) as refused:
        transfer_receive(transfer_id=transfer.pk, received={first.pk: 3})
    assert "reason" in refused.value.fields
    with pytest.raises(ValidationFailed):
        transfer_receive(transfer_id=transfer.pk, received={first.pk: 7}, reason="x")

    transfer_receive(transfer_id=transfer.pk, received={first.pk: 3}, reason="Two broken on the road")

    assert _level(first, destination) == (3, 0)
    assert _level(second, destination) == (6, 0)
    write_off = StockMovement.objects.get(kind=MovementKind.ADJUSTMENT, document_type=DOCUMENT_TYPE)
    assert (write_off.warehouse_id, write_off.on_hand_delta, write_off.reason) == (
        destination.pk,
        -2,
        "Two broken on the road",
    )
    assert dict(transfer.lines.values_list("product_id", "quantity_received")) == {first.pk: 3, second.pk: 6}
    event = transfer.events.get(kind="transfer.received")
    assert event.data == {"written_off": {str(first.pk): 2}}
    assert stock_drift() == []


def test_bad_requests_are_refused_with_field_messages_and_write_nothing(setup):
    source, destination, first, _second = setup
    cases = [
        (
            {"from_warehouse_id": source.pk, "to_warehouse_id": source.pk, "lines": [(first.pk, 1)]},
            "to_warehouse",
        ),
        ({"from_warehouse_id": source.pk, "to_warehouse_id": destination.pk, "lines": []}, "lines"),
        (
            {"from_warehouse_id": source.pk, "to_warehouse_id": destination.pk, "lines": [(first.pk, 0)]},
            "lines[0].quantity",
        ),
        (
            {
                "from_warehouse_id": source.pk,
                "to_warehouse_id": destination.pk,
                "lines": [(first.pk, 1), (first.pk, 2)],
            },
            "lines[1].product",
        ),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationFailed) as refused:
            transfer_request(**kwargs)
        assert field in refused.value.fields
    assert StockTransfer.objects.count() == 0
    assert OutboxEvent.objects.count() == 0


def test_lines_change_only_while_requested(setup):
    _source, _destination, first, second = setup
    transfer = _request(setup)
    transfer_update_lines(transfer_id=transfer.pk, lines=[(first.pk, 2)])
    assert dict(transfer.lines.values_list("product_id", "quantity")) == {first.pk: 2}
    assert StockTransferEvent.objects.filter(transfer=transfer, kind="transfer.lines_changed").count() == 1
    transfer_ship(transfer_id=transfer.pk)
    with pytest.raises(Conflict) as refused:
        transfer_update_lines(transfer_id=transfer.pk, lines=[(second.pk, 1)])
    assert refused.value.code == "transfer_not_editable"
    assert dict(transfer.lines.values_list("product_id", "quantity")) == {first.pk: 2}


def test_in_transit_adds_up_per_product_and_destination(setup):
    source, destination, first, _second = setup
    third = WarehouseFactory()
    one = transfer_request(from_warehouse_id=source.pk, to_warehouse_id=destination.pk, lines=[(first.pk, 2)])
    two = transfer_request(from_warehouse_id=source.pk, to_warehouse_id=destination.pk, lines=[(first.pk, 3)])
    three = transfer_request(from_warehouse_id=source.pk, to_warehouse_id=third.pk, lines=[(first.pk, 1)])
    transfer_request(
        from_warehouse_id=source.pk, to_warehouse_id=third.pk, lines=[(first.pk, 1)]
    )  # not shipped
    for transfer in (one, two, three):
        transfer_ship(transfer_id=transfer.pk)

    assert stock_in_transit(product_ids=[first.pk]) == {
        (first.pk, destination.pk): 5,
        (first.pk, third.pk): 1,
    }
    assert stock_in_transit(product_ids=[first.pk], warehouse_ids=[third.pk]) == {(first.pk, third.pk): 1}

    transfer_receive(transfer_id=two.pk)

    assert stock_in_transit(product_ids=[first.pk]) == {
        (first.pk, destination.pk): 2,
        (first.pk, third.pk): 1,
    }
    assert stock_drift() == []


def _located(code, latitude, longitude, **kwargs):
    return WarehouseFactory(code=code, latitude=Decimal(latitude), longitude=Decimal(longitude), **kwargs)


def test_suggestions_list_other_active_warehouses_with_stock_nearest_first():
    # given a shortfall in Wuhan and stock in Shanghai (far), Changsha (near), Beijing (far, empty),
    # an inactive warehouse, one without coordinates, and Wuhan itself
    wuhan = _located("WUH", "30.59", "114.30")
    shanghai = _located("SHA", "31.23", "121.47")
    changsha = _located("CSX", "28.23", "112.94")
    beijing = _located("PEK", "39.90", "116.40")
    closed = _located("OLD", "30.60", "114.31", is_active=False)
    nowhere = WarehouseFactory(code="NOW")
    product = ProductFactory()
    StockLevelFactory(product=product, warehouse=wuhan, on_hand=1)
    StockLevelFactory(product=product, warehouse=shanghai, on_hand=50, reserved=10)
    StockLevelFactory(product=product, warehouse=changsha, on_hand=4)
    StockLevelFactory(product=product, warehouse=beijing, on_hand=3, reserved=3)
    StockLevelFactory(product=product, warehouse=closed, on_hand=99)
    StockLevelFactory(product=product, warehouse=nowhere, on_hand=7)
    # a requested transfer will take 5 from Shanghai
    transfer_request(from_warehouse_id=shanghai.pk, to_warehouse_id=beijing.pk, lines=[(product.pk, 5)])

    suggestions = transfer_suggestions(product_id=product.pk, warehouse_id=wuhan.pk, quantity=6)

    assert [(s.warehouse.code, s.available, s.quantity) for s in suggestions] == [
        ("CSX", 4, 4),
        ("SHA", 35, 6),
        ("NOW", 7, 6),
    ]
    assert suggestions[0].distance_km < suggestions[1].distance_km
    assert suggestions[2].distance_km is None


# --- admin --------------------------------------------------------------------------------------

TRANSFER_KEEPER = [
    "view_stocktransfer",
    "add_stocktransfer",
    "change_stocktransfer",
    "ship_stocktransfer",
    "receive_stocktransfer",
    "view_stocklevel",
    "view_warehouse",
    "view_product",
]


def _staff(codenames, username="keeper"):
    user = get_user_model().objects.create_user(username=username, password="x", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="inventory", codename__in=codenames)
    )
    return user


def _action(client, action, transfer, **extra):
    return client.post(
        reverse("admin:inventory_stocktransfer_changelist"),
        {"action": action, "_selected_action": [transfer.pk], **extra},
        follow=True,
    )


def test_admin_actions_ship_receive_and_cancel_through_the_services(client, setup):
    _source, destination, first, _second = setup
    user = _staff(TRANSFER_KEEPER)
    client.force_login(user)
    transfer = _request(setup)

    response = _action(client, "ship", transfer)
    assert response.status_code == 200
    transfer.refresh_from_db()
    assert transfer.status == T.SHIPPED
    assert transfer.events.get(kind="transfer.shipped").actor == user

    _action(client, "receive", transfer)
    transfer.refresh_from_db()
    assert transfer.status == T.RECEIVED
    assert _level(first, destination) == (5, 0)

    other = _request(setup, quantities=(1, 1))
    response = _action(client, "cancel", other)  # no reason: refused, nothing changes
    assert "needs a reason" in response.content.decode()
    other.refresh_from_db()
    assert other.status == T.REQUESTED
    _action(client, "cancel", other, reason="Duplicate")
    other.refresh_from_db()
    assert other.status == T.CANCELLED
    assert stock_drift() == []


def test_admin_reports_a_shortage_and_moves_nothing(client, setup):
    client.force_login(_staff(TRANSFER_KEEPER))
    transfer = _request(setup, quantities=(9, 6))
    before = _balances()

    response = _action(client, "ship", transfer)

    assert "Not enough stock" in response.content.decode()
    assert _balances() == before
    transfer.refresh_from_db()
    assert transfer.status == T.REQUESTED


def test_admin_ship_needs_the_ship_permission(client, setup):
    client.force_login(_staff([c for c in TRANSFER_KEEPER if c != "ship_stocktransfer"]))
    transfer = _request(setup)

    page = client.get(reverse("admin:inventory_stocktransfer_changelist"))
    _action(client, "ship", transfer)

    assert 'value="ship"' not in page.content.decode()
    transfer.refresh_from_db()
    assert transfer.status == T.REQUESTED


def test_admin_creates_a_transfer_from_typed_lines(client, setup):
    source, destination, first, second = setup
    client.force_login(_staff(TRANSFER_KEEPER))

    response = client.post(
        reverse("admin:inventory_stocktransfer_add"),
        {
            "from_warehouse": source.pk,
            "to_warehouse": destination.pk,
            "reason": "Rebalance",
            "lines": f"{first.sku} 2\n{second.sku} 3\n",
        },
    )

    assert response.status_code == 302
    transfer = StockTransfer.objects.get()
    assert dict(transfer.lines.values_list("product_id", "quantity")) == {first.pk: 2, second.pk: 3}
    assert transfer.requested_by is not None


def test_admin_edits_lines_only_while_requested(client, setup):
    _source, _destination, first, second = setup
    client.force_login(_staff(TRANSFER_KEEPER))
    transfer = _request(setup)
    url = reverse("admin:inventory_stocktransfer_change", args=[transfer.pk])
    page = client.get(url)
    assert 'name="lines-0-quantity"' in page.content.decode()
    line_ids = dict(transfer.lines.values_list("product_id", "pk"))

    response = client.post(
        url,
        {
            "lines-TOTAL_FORMS": "2",
            "lines-INITIAL_FORMS": "2",
            "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "1000",
            "lines-0-id": line_ids[first.pk],
            "lines-0-transfer": transfer.pk,
            "lines-0-product": first.pk,
            "lines-0-quantity": "4",
            "lines-1-id": line_ids[second.pk],
            "lines-1-transfer": transfer.pk,
            "lines-1-product": second.pk,
            "lines-1-quantity": "6",
            "lines-1-DELETE": "on",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
            "events-MIN_NUM_FORMS": "0",
            "events-MAX_NUM_FORMS": "1000",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert dict(transfer.lines.values_list("product_id", "quantity")) == {first.pk: 4}
    transfer_ship(transfer_id=transfer.pk)
    page = client.get(url)
    assert 'name="lines-0-quantity"' not in page.content.decode()


def test_stock_level_list_shows_in_transit_without_a_query_per_row(
    client, setup, django_assert_max_num_queries
):
    _source, destination, first, second = setup
    client.force_login(_staff(TRANSFER_KEEPER))
    transfer_ship(transfer_id=_request(setup, quantities=(3, 2)).pk)
    assert _level(first, destination) == (0, 0)  # the row exists from shipping on, to show what is coming

    url = reverse("admin:inventory_stocklevel_changelist")
    client.get(url)  # warm caches (permissions, content types)
    with django_assert_max_num_queries(12) as queries:
        page = client.get(url)
    for _ in range(5):
        StockLevelFactory(product=ProductFactory(), warehouse=destination)
    with django_assert_max_num_queries(len(queries)):
        client.get(url)

    assert "in transit" in page.content.decode().lower()
    row = next(
        r
        for r in page.context["cl"].result_list
        if r.product_id == first.pk and r.warehouse_id == destination.pk
    )
    assert row.in_transit == 3
    assert stock_drift() == []


def test_transfer_list_query_count_does_not_grow_with_transfers(client, setup, django_assert_num_queries):
    client.force_login(_staff(TRANSFER_KEEPER))
    transfer_ship(transfer_id=_request(setup, quantities=(1, 1)).pk)
    url = reverse("admin:inventory_stocktransfer_changelist")
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    for _ in range(4):
        _request(setup, quantities=(1, 1))

    with django_assert_num_queries(len(queries)):
        page = client.get(url)

    assert page.status_code == 200


# --- concurrency (PostgreSQL) ---------------------------------------------------------------------
# Eight worker processes, each with its own PostgreSQL connection, ship transfers that all draw on the
# same source row while orders reserve on it; only the row locks keep available (on hand − reserved)
# at or above zero (without them the workers would trip the reserved ≤ on hand check, or oversell).

PROCESSES = 8
ON_HAND = 40


def _worker(number: int, transfer_ids: list[int], product_id: int, source_id: int, results) -> None:
    for conn in connections.all(initialized_only=True):
        conn.connection = None
    shipped = refused = reserved = 0
    try:
        for i, transfer_id in enumerate(transfer_ids):
            try:
                transfer_ship(transfer_id=transfer_id)
                shipped += 1
            except InsufficientStock:
                refused += 1
            if i % 3 == 0:
                try:
                    stock_reserve(
                        demands=[(product_id, source_id, 1)],
                        document=DocumentRef("orders.order", f"{number}-{i}"),
                    )
                    reserved += 1
                except InsufficientStock:
                    pass
            # Ship the same transfer again: a retry moves nothing more.
            if i % 4 == 0:
                with contextlib.suppress(InsufficientStock):
                    transfer_ship(transfer_id=transfer_id)
        results.put((number, "ok", shipped, refused, reserved))
    except Exception as exc:  # reported to the parent, which fails the test
        results.put((number, "error", repr(exc), 0, 0))
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_shipments_from_one_hot_row_never_go_below_available():
    # given 40 on hand at the source, and 8 × 6 transfers of 1–3 units each (~96 units asked for)
    source, north, south = WarehouseFactory(), WarehouseFactory(), WarehouseFactory()
    product = ProductFactory()
    stock_receive(product_id=product.pk, warehouse_id=source.pk, quantity=ON_HAND)
    batches = []
    for number in range(PROCESSES):
        batch = []
        for i in range(6):
            transfer = transfer_request(
                from_warehouse_id=source.pk,
                to_warehouse_id=(north if (number + i) % 2 else south).pk,
                lines=[(product.pk, 1 + (number + i) % 3)],
            )
            batch.append(transfer.pk)
        batches.append(batch)
    connection.close()

    # when eight processes ship them (and reserve on the same row) at once
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [
        context.Process(target=_worker, args=(n, batches[n], product.pk, source.pk, results))
        for n in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)

    # then no worker failed, available never went below zero, what left equals what is in transit,
    # some shipments were refused (demand outran supply), and the ledger equals the balances
    assert [outcome for outcome in outcomes if outcome[1] != "ok"] == []
    level = StockLevel.objects.get(product=product, warehouse=source)
    assert 0 <= level.reserved <= level.on_hand
    shipped = StockTransfer.objects.filter(status=TransferStatus.SHIPPED)
    assert shipped.count() == sum(outcome[2] for outcome in outcomes)
    assert sum(outcome[3] for outcome in outcomes) > 0
    assert level.reserved == sum(outcome[4] for outcome in outcomes)
    in_transit = sum(stock_in_transit(product_ids=[product.pk]).values())
    assert level.on_hand == ON_HAND - in_transit
    out = StockMovement.objects.filter(kind=MovementKind.TRANSFER_OUT)
    assert out.count() == shipped.count()  # each shipped once, retries included
    assert stock_drift() == []

    # and receiving them all puts every unit shipped at its destination
    for transfer_id in shipped.values_list("pk", flat=True):
        transfer_receive(transfer_id=transfer_id)
    assert (
        sum(
            StockLevel.objects.filter(product=product, warehouse__in=[north, south]).values_list(
                "on_hand", flat=True
            )
        )
        == in_transit
    )
    assert stock_drift() == []


def test_admin_receive_page_counts_what_arrived_and_writes_off_the_rest_with_a_reason(client, setup):
    _source, destination, first, second = setup
    client.force_login(_staff(TRANSFER_KEEPER))
    transfer = transfer_ship(transfer_id=_request(setup).pk)
    lines = dict(transfer.lines.values_list("product_id", "pk"))
    change_page = client.get(reverse("admin:inventory_stocktransfer_change", args=[transfer.pk]))
    url = reverse("admin:inventory_stocktransfer_receive", args=[transfer.pk])
    assert url in change_page.content.decode()
    counted = {f"line_{lines[first.pk]}": "4", f"line_{lines[second.pk]}": "6"}

    refused = client.post(url, {**counted, "reason": ""})  # less arrived, no reason: stays on the form

    assert refused.status_code == 200
    assert "Say why less arrived" in refused.content.decode()
    assert StockMovement.objects.filter(kind=MovementKind.TRANSFER_IN).count() == 0

    response = client.post(url, {**counted, "reason": "One crushed"})

    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == T.RECEIVED
    assert _level(first, destination) == (4, 0)
    assert _level(second, destination) == (6, 0)
    assert stock_drift() == []
    assert client.get(url).status_code == 302  # received: nothing left to count


def test_admin_receive_page_needs_the_receive_permission(client, setup):
    client.force_login(_staff([c for c in TRANSFER_KEEPER if c != "receive_stocktransfer"]))
    transfer = transfer_ship(transfer_id=_request(setup).pk)

    response = client.get(reverse("admin:inventory_stocktransfer_receive", args=[transfer.pk]))

    assert response.status_code == 403
