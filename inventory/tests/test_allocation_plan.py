"""The allocation planner (issue #8): worked examples for each rule, then properties.

`inventory.allocation` is new: every test here fails on main (the module does not exist there).
No database: the planner is a pure function.
"""

import itertools
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory.allocation import (
    Allocation,
    Destination,
    Line,
    LineReason,
    PlanReason,
    ShippingCost,
    Warehouse,
    haversine_km,
    plan_allocation,
)

SH = Warehouse(1, "SH", Decimal("31.230400"), Decimal("121.473700"))  # Shanghai
GZ = Warehouse(2, "GZ", Decimal("23.129100"), Decimal("113.264400"))  # Guangzhou
CD = Warehouse(3, "CD", Decimal("30.572800"), Decimal("104.066800"))  # Chengdu
BJ = Warehouse(4, "BJ", Decimal("39.904200"), Decimal("116.407400"))  # Beijing
NETWORK = [SH, GZ, CD, BJ]

HANGZHOU = Destination(Decimal("30.274100"), Decimal("120.155100"))
SHENZHEN = Destination(Decimal("22.543100"), Decimal("114.057900"))
CHONGQING = Destination(Decimal("29.563000"), Decimal("106.551600"))
TIANJIN = Destination(Decimal("39.343400"), Decimal("117.361600"))

A, B, C = 101, 102, 103  # product ids


def _everywhere(quantity, products=(A, B, C), warehouses=NETWORK):
    return {(p, w.id): quantity for p in products for w in warehouses}


def _shipped(plan):
    return {line.line_id: [(a.warehouse_id, a.quantity) for a in line.allocations] for line in plan.lines}


# --- geometry ------------------------------------------------------------------------------------


def test_haversine_shanghai_to_beijing_is_about_1070_km():
    assert haversine_km(SH.latitude, SH.longitude, BJ.latitude, BJ.longitude) == pytest.approx(1068, abs=5)


# --- rule 1: one warehouse -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("destination", "expected"),
    [(HANGZHOU, SH), (SHENZHEN, GZ), (CHONGQING, CD), (TIANJIN, BJ)],
)
def test_single_warehouse_nearest_to_the_destination_ships_everything(destination, expected):
    lines = [Line(1, A, 5), Line(2, B, 3)]

    plan = plan_allocation(lines=lines, stock=_everywhere(10), warehouses=NETWORK, destination=destination)

    assert plan.reason == PlanReason.SINGLE_WAREHOUSE_NEAREST
    assert plan.ships_now
    assert _shipped(plan) == {1: [(expected.id, 5)], 2: [(expected.id, 3)]}
    assert {line.reason for line in plan.lines} == {LineReason.ONE_WAREHOUSE}
    assert plan.params["warehouse"] == expected.code


def test_nearest_warehouse_without_every_line_loses_to_one_that_has_them_all():
    # Hangzhou: Shanghai (~165 km) lacks B; Guangzhou (~1050 km) beats Beijing (~1130 km).
    stock = {(A, SH.id): 10, (A, GZ.id): 10, (B, GZ.id): 10, (A, BJ.id): 10, (B, BJ.id): 10}

    plan = plan_allocation(
        lines=[Line(1, A, 2), Line(2, B, 2)], stock=stock, warehouses=NETWORK, destination=HANGZHOU
    )

    assert plan.reason == PlanReason.SINGLE_WAREHOUSE_NEAREST
    assert plan.warehouse_ids == (GZ.id,)


def test_two_lines_of_one_product_count_together_for_a_single_warehouse():
    stock = {(A, SH.id): 6, (A, GZ.id): 10}

    plan = plan_allocation(
        lines=[Line(1, A, 4), Line(2, A, 4)], stock=stock, warehouses=NETWORK, destination=HANGZHOU
    )

    assert plan.reason == PlanReason.SINGLE_WAREHOUSE_NEAREST
    assert plan.warehouse_ids == (GZ.id,)


def test_equally_distant_warehouses_tie_on_the_lower_code():
    twin_a = Warehouse(7, "ZZ", SH.latitude, SH.longitude)
    twin_b = Warehouse(8, "AA", SH.latitude, SH.longitude)

    plan = plan_allocation(
        lines=[Line(1, A, 1)], stock={(A, 7): 5, (A, 8): 5}, warehouses=[twin_a, twin_b], destination=HANGZHOU
    )

    assert plan.warehouse_ids == (8,)


def test_warehouse_without_coordinates_ranks_after_every_located_one():
    nowhere = Warehouse(9, "AAA")  # lowest code, but no coordinates

    plan = plan_allocation(
        lines=[Line(1, A, 1)],
        stock={(A, 9): 5, (A, BJ.id): 5},
        warehouses=[nowhere, BJ],
        destination=SHENZHEN,
    )

    assert plan.warehouse_ids == (BJ.id,)


def test_without_destination_coordinates_the_code_decides():
    plan = plan_allocation(
        lines=[Line(1, A, 1)], stock=_everywhere(5), warehouses=NETWORK, destination=Destination()
    )

    assert plan.warehouse_ids == (BJ.id,)  # "BJ" < "CD" < "GZ" < "SH"
    assert plan.params["distance_km"] is None


def test_cost_table_overrides_distance():
    costs = {
        SH.id: ShippingCost(per_shipment=Decimal("80"), per_unit=Decimal("2")),
        GZ.id: ShippingCost(per_shipment=Decimal("20"), per_unit=Decimal("1")),
    }

    plan = plan_allocation(
        lines=[Line(1, A, 10)], stock=_everywhere(20), warehouses=NETWORK, destination=HANGZHOU, costs=costs
    )

    assert plan.reason == PlanReason.SINGLE_WAREHOUSE_CHEAPEST
    assert plan.warehouse_ids == (GZ.id,)
    assert plan.params == {"warehouse": "GZ", "cost": "30"}


def test_per_unit_cost_counts_the_units_so_a_big_order_prefers_the_low_unit_cost():
    costs = {
        SH.id: ShippingCost(per_shipment=Decimal("10"), per_unit=Decimal("3")),
        GZ.id: ShippingCost(per_shipment=Decimal("100"), per_unit=Decimal("1")),
    }
    small = plan_allocation(lines=[Line(1, A, 5)], stock=_everywhere(100), warehouses=NETWORK, costs=costs)
    big = plan_allocation(lines=[Line(1, A, 90)], stock=_everywhere(100), warehouses=NETWORK, costs=costs)

    assert small.warehouse_ids == (SH.id,)  # 25 < 105
    assert big.warehouse_ids == (GZ.id,)  # 190 < 280


# --- rule 2: the fewest warehouses -----------------------------------------------------------------


def test_split_over_the_fewest_warehouses_when_none_has_everything():
    # Chengdu alone has A and B; C only in Guangzhou or Beijing. From Chongqing: CD + GZ (nearer than BJ).
    stock = {(A, CD.id): 5, (B, CD.id): 5, (C, GZ.id): 5, (C, BJ.id): 5, (A, SH.id): 5, (B, BJ.id): 5}

    plan = plan_allocation(
        lines=[Line(1, A, 5), Line(2, B, 5), Line(3, C, 5)],
        stock=stock,
        warehouses=NETWORK,
        destination=CHONGQING,
    )

    assert plan.reason == PlanReason.SPLIT_FEWEST_WAREHOUSES
    assert plan.ships_now
    assert _shipped(plan) == {1: [(CD.id, 5)], 2: [(CD.id, 5)], 3: [(GZ.id, 5)]}
    assert plan.params == {"warehouses": "CD, GZ"}


def test_fewer_warehouses_beat_nearer_ones():
    # Shenzhen: Guangzhou is nearest but has only A; three near-ish warehouses would do, or BJ + GZ.
    stock = {(A, GZ.id): 5, (B, SH.id): 5, (C, CD.id): 5, (B, BJ.id): 5, (C, BJ.id): 5}

    plan = plan_allocation(
        lines=[Line(1, A, 5), Line(2, B, 5), Line(3, C, 5)],
        stock=stock,
        warehouses=NETWORK,
        destination=SHENZHEN,
    )

    assert plan.warehouse_ids == (GZ.id, BJ.id)


def test_a_line_is_split_only_when_no_warehouse_of_the_set_holds_it_whole():
    stock = {(A, SH.id): 6, (A, GZ.id): 6, (B, GZ.id): 3}

    plan = plan_allocation(
        lines=[Line(1, A, 10), Line(2, B, 3)], stock=stock, warehouses=NETWORK, destination=HANGZHOU
    )

    assert plan.reason == PlanReason.SPLIT_FEWEST_WAREHOUSES
    line_a, line_b = plan.lines
    assert line_a.reason == LineReason.SPLIT
    assert line_a.allocations == (Allocation(SH.id, 6), Allocation(GZ.id, 4))
    assert line_b.reason == LineReason.ONE_WAREHOUSE
    assert line_b.allocations == (Allocation(GZ.id, 3),)


def test_a_line_one_warehouse_of_the_set_can_hold_is_not_split():
    # The set is {SH, GZ} (B only in GZ). A fits whole in GZ though SH is nearer and holds some.
    stock = {(A, SH.id): 2, (A, GZ.id): 10, (B, GZ.id): 1, (B, SH.id): 0, (C, SH.id): 1}

    plan = plan_allocation(
        lines=[Line(1, A, 5), Line(2, B, 1), Line(3, C, 1)],
        stock=stock,
        warehouses=NETWORK,
        destination=HANGZHOU,
    )

    assert _shipped(plan)[1] == [(GZ.id, 5)]


def test_equally_small_sets_tie_on_total_distance():
    # Tianjin: A in SH or BJ, B only in GZ. {BJ, GZ} is shorter in total than {SH, GZ}.
    stock = {(A, SH.id): 5, (A, BJ.id): 5, (B, GZ.id): 5}

    plan = plan_allocation(
        lines=[Line(1, A, 5), Line(2, B, 5)], stock=stock, warehouses=NETWORK, destination=TIANJIN
    )

    assert plan.warehouse_ids == (GZ.id, BJ.id)


def test_equally_small_sets_tie_on_total_cost_with_a_cost_table():
    stock = {(A, SH.id): 5, (A, BJ.id): 5, (B, GZ.id): 5}
    costs = {
        SH.id: ShippingCost(per_shipment=Decimal("5")),
        BJ.id: ShippingCost(per_shipment=Decimal("50")),
        GZ.id: ShippingCost(per_shipment=Decimal("5")),
    }

    plan = plan_allocation(
        lines=[Line(1, A, 5), Line(2, B, 5)],
        stock=stock,
        warehouses=NETWORK,
        destination=TIANJIN,
        costs=costs,
    )

    assert plan.warehouse_ids == (SH.id, GZ.id)


# --- rule 3: shortfalls, partial or not -------------------------------------------------------------


def _short_order():
    stock = {(A, SH.id): 4, (A, GZ.id): 3, (B, CD.id): 2}
    lines = [Line(1, A, 10), Line(2, B, 2), Line(3, C, 5)]
    return lines, stock


def test_partial_accepted_reserves_what_exists_and_backorders_the_rest_per_line():
    lines, stock = _short_order()

    plan = plan_allocation(
        lines=lines, stock=stock, warehouses=NETWORK, destination=HANGZHOU, accepts_partial=True
    )

    assert plan.reason == PlanReason.PARTIAL_BACKORDER
    assert plan.ships_now
    by_id = {line.line_id: line for line in plan.lines}
    assert by_id[1].allocations == (Allocation(SH.id, 4), Allocation(GZ.id, 3))
    assert by_id[1].backordered == 3
    assert by_id[1].reason == LineReason.PARTIAL_BACKORDER
    assert by_id[2].allocations == (Allocation(CD.id, 2),)
    assert by_id[2].backordered == 0
    assert by_id[3].allocations == ()
    assert by_id[3].backordered == 5
    assert by_id[3].reason == LineReason.NO_STOCK
    assert plan.backordered == 8


def test_partial_not_accepted_reserves_the_same_but_ships_nothing_until_complete():
    lines, stock = _short_order()
    partial = plan_allocation(lines=lines, stock=stock, warehouses=NETWORK, destination=HANGZHOU)

    plan = plan_allocation(
        lines=lines, stock=stock, warehouses=NETWORK, destination=HANGZHOU, accepts_partial=False
    )

    assert plan.reason == PlanReason.PARTIAL_NOT_ACCEPTED
    assert not plan.ships_now
    assert plan.lines == partial.lines


def test_partial_not_accepted_with_everything_in_stock_ships_normally():
    plan = plan_allocation(
        lines=[Line(1, A, 1)],
        stock=_everywhere(1),
        warehouses=NETWORK,
        destination=HANGZHOU,
        accepts_partial=False,
    )

    assert plan.reason == PlanReason.SINGLE_WAREHOUSE_NEAREST
    assert plan.ships_now


def test_earlier_lines_of_a_short_product_are_served_first():
    plan = plan_allocation(lines=[Line(1, A, 3), Line(2, A, 3)], stock={(A, SH.id): 4}, warehouses=NETWORK)

    assert [(line.allocated, line.backordered) for line in plan.lines] == [(3, 0), (1, 2)]


@pytest.mark.parametrize("accepts_partial", [True, False])
def test_nothing_in_stock_backorders_every_line(accepts_partial):
    plan = plan_allocation(
        lines=[Line(1, A, 2), Line(2, B, 1)],
        stock={(C, SH.id): 9, (A, SH.id): 0, (B, GZ.id): -3},
        warehouses=NETWORK,
        accepts_partial=accepts_partial,
    )

    assert plan.reason == PlanReason.NO_STOCK
    assert not plan.ships_now
    assert [(line.allocated, line.backordered) for line in plan.lines] == [(0, 2), (0, 1)]


def test_stock_in_a_warehouse_not_offered_is_ignored():
    plan = plan_allocation(lines=[Line(1, A, 2)], stock={(A, 99): 10}, warehouses=NETWORK)

    assert plan.reason == PlanReason.NO_STOCK


@pytest.mark.parametrize(
    "lines",
    [
        [Line(1, A, 0)],
        [Line(1, A, -1)],
        [Line(1, A, 1), Line(1, B, 1)],
        [Line(1, A, True)],
    ],
)
def test_bad_input_is_refused(lines):
    with pytest.raises(ValueError, match="."):
        plan_allocation(lines=lines, stock=_everywhere(5), warehouses=NETWORK)


# --- explanations -------------------------------------------------------------------------------------


def test_explanation_is_built_from_the_code_with_warehouse_and_distance():
    plan = plan_allocation(
        lines=[Line(1, A, 5)], stock=_everywhere(10), warehouses=NETWORK, destination=HANGZHOU
    )

    with translation.override("en"):
        text = str(plan.explanation)
        line_text = str(plan.lines[0].explanation)

    assert "SH" in text
    assert f"{plan.params['distance_km']} km" in text
    assert line_text.startswith("5 from SH (")
    assert plan.as_dict()["reason"] == "single_warehouse_nearest"


def test_every_reason_has_an_explanation_that_renders():
    lines, stock = _short_order()
    plans = [
        plan_allocation(lines=lines, stock=stock, warehouses=NETWORK, accepts_partial=False),
        plan_allocation(lines=lines, stock=stock, warehouses=NETWORK),
        plan_allocation(lines=[Line(1, A, 10)], stock={(A, SH.id): 6, (A, GZ.id): 6}, warehouses=NETWORK),
        plan_allocation(lines=[Line(1, A, 1)], stock={}, warehouses=NETWORK),
        plan_allocation(lines=[Line(1, A, 1)], stock=_everywhere(1), warehouses=NETWORK, costs={}),
        plan_allocation(lines=[], stock={}, warehouses=NETWORK),
    ]
    for plan in plans:
        with translation.override("en"):
            assert "%(" not in str(plan.explanation)
            for line in plan.lines:
                assert "%(" not in str(line.explanation)


# --- properties ---------------------------------------------------------------------------------------

GRID = [
    Warehouse(10, "W0", Decimal("31.23"), Decimal("121.47")),
    Warehouse(11, "W1", Decimal("23.13"), Decimal("113.26")),
    Warehouse(12, "W2", None, None),
    Warehouse(13, "W3", Decimal("30.57"), Decimal("104.07")),
    Warehouse(14, "W4", Decimal("39.90"), Decimal("116.41")),
]
PRODUCTS = [1, 2, 3, 4]


@st.composite
def _orders(draw):
    warehouses = draw(st.lists(st.sampled_from(GRID), min_size=1, max_size=5, unique=True))
    stock = draw(
        st.dictionaries(
            st.tuples(st.sampled_from(PRODUCTS), st.sampled_from([w.id for w in warehouses])),
            st.integers(min_value=0, max_value=8),
            max_size=20,
        )
    )
    quantities = draw(
        st.lists(st.tuples(st.sampled_from(PRODUCTS), st.integers(min_value=1, max_value=10)), max_size=6)
    )
    lines = [Line(i, p, q) for i, (p, q) in enumerate(quantities, start=1)]
    destination = draw(st.sampled_from([HANGZHOU, SHENZHEN, CHONGQING, TIANJIN, Destination(), None]))
    use_costs = draw(st.booleans())
    costs = None
    if use_costs:
        costs = {
            w.id: ShippingCost(
                per_shipment=Decimal(draw(st.integers(0, 50))), per_unit=Decimal(draw(st.integers(0, 5)))
            )
            for w in warehouses
            if draw(st.booleans())
        }
    return {
        "lines": lines,
        "stock": stock,
        "warehouses": warehouses,
        "destination": destination,
        "costs": costs,
        "accepts_partial": draw(st.booleans()),
    }


def _min_warehouses(lines, stock, warehouses):
    """Brute force: the smallest number of warehouses that can ship everything the network can."""
    held = {}
    for (p, _w), q in stock.items():
        held[p] = held.get(p, 0) + max(q, 0)
    demand = {}
    for line in lines:
        demand[line.product_id] = demand.get(line.product_id, 0) + line.quantity
    servable = {p: min(q, held.get(p, 0)) for p, q in demand.items()}
    for size in range(len(warehouses) + 1):
        for combo in itertools.combinations([w.id for w in warehouses], size):
            if all(sum(max(stock.get((p, w), 0), 0) for w in combo) >= q for p, q in servable.items()):
                return size
    raise AssertionError("the whole network covers what it holds")


@settings(max_examples=300, deadline=None)
@given(_orders())
def test_never_allocates_more_than_available(order):
    plan = plan_allocation(**order)

    used = {}
    for line in plan.lines:
        for a in line.allocations:
            assert a.quantity > 0
            key = (line.product_id, a.warehouse_id)
            used[key] = used.get(key, 0) + a.quantity
    assert all(q <= order["stock"].get(key, 0) for key, q in used.items())


@settings(max_examples=300, deadline=None)
@given(_orders())
def test_allocated_plus_backordered_is_what_was_ordered(order):
    plan = plan_allocation(**order)

    assert [line.line_id for line in plan.lines] == [line.line_id for line in order["lines"]]
    for line, ordered in zip(plan.lines, order["lines"], strict=True):
        assert line.allocated + line.backordered == ordered.quantity == line.ordered
        assert line.backordered >= 0


@settings(max_examples=300, deadline=None)
@given(_orders())
def test_without_partial_shipments_the_order_ships_complete_or_not_at_all(order):
    order["accepts_partial"] = False
    plan = plan_allocation(**order)
    partial = plan_allocation(**{**order, "accepts_partial": True})

    if plan.backordered:
        assert not plan.ships_now
        assert plan.reason in (PlanReason.PARTIAL_NOT_ACCEPTED, PlanReason.NO_STOCK)
    else:
        assert plan.ships_now == bool(order["lines"])
    # The policy: what is reserved does not depend on the customer's choice, only what may ship now.
    assert plan.lines == partial.lines


@settings(max_examples=300, deadline=None)
@given(_orders())
def test_uses_the_fewest_warehouses(order):
    plan = plan_allocation(**order)

    assert len(plan.warehouse_ids) == _min_warehouses(order["lines"], order["stock"], order["warehouses"])


@settings(max_examples=200, deadline=None)
@given(_orders())
def test_same_input_same_plan(order):
    first = plan_allocation(**order)
    shuffled = {
        **order,
        "warehouses": list(reversed(order["warehouses"])),
        "stock": dict(reversed(list(order["stock"].items()))),
    }

    assert plan_allocation(**order) == first
    assert plan_allocation(**shuffled) == first


def test_above_the_exact_bound_the_greedy_cover_takes_the_biggest_gain_first(monkeypatch):
    monkeypatch.setattr("inventory.allocation.EXACT_COVER_LIMIT", 0)
    # SH is forced (alone holds A and B); for C, Beijing alone covers the 5 units, GZ or CD 3 each.
    stock = {(A, SH.id): 5, (B, SH.id): 5, (C, GZ.id): 3, (C, CD.id): 3, (C, BJ.id): 5}

    plan = plan_allocation(
        lines=[Line(1, A, 5), Line(2, B, 5), Line(3, C, 5)],
        stock=stock,
        warehouses=NETWORK,
        destination=HANGZHOU,
    )

    assert plan.reason == PlanReason.SPLIT_FEWEST_WAREHOUSES
    assert plan.warehouse_ids == (SH.id, BJ.id)
    assert plan.lines[2].allocations == (Allocation(BJ.id, 5),)
    assert plan.backordered == 0


def test_a_warehouse_that_alone_holds_a_product_is_always_in_the_set():
    # Beijing is far from Shenzhen but the only holder of C; A and B then also come from Beijing.
    stock = {(A, GZ.id): 5, (B, GZ.id): 5, (A, BJ.id): 5, (B, BJ.id): 5, (C, BJ.id): 1, (C, SH.id): 4}

    plan = plan_allocation(
        lines=[Line(1, A, 5), Line(2, B, 5), Line(3, C, 5)],
        stock=stock,
        warehouses=NETWORK,
        destination=SHENZHEN,
    )

    assert plan.warehouse_ids == (SH.id, BJ.id)
    assert _shipped(plan)[3] == [(SH.id, 4), (BJ.id, 1)]


def test_warehouses_missing_from_the_cost_table_rank_last_and_by_distance():
    costs = {CD.id: ShippingCost(per_shipment=Decimal("999"))}
    stock = {(A, CD.id): 1, (A, BJ.id): 1, (A, SH.id): 1}

    costed = plan_allocation(
        lines=[Line(1, A, 1)], stock=stock, warehouses=NETWORK, destination=HANGZHOU, costs=costs
    )
    uncosted = plan_allocation(
        lines=[Line(1, A, 1)],
        stock={(A, BJ.id): 1, (A, SH.id): 1},
        warehouses=NETWORK,
        destination=HANGZHOU,
        costs=costs,
    )

    assert costed.warehouse_ids == (CD.id,)
    assert costed.reason == PlanReason.SINGLE_WAREHOUSE_CHEAPEST
    assert uncosted.warehouse_ids == (SH.id,)
    assert uncosted.reason == PlanReason.SINGLE_WAREHOUSE_NEAREST
