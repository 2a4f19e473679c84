"""Changing a placed order (orders.services.changes.order_change): header, address, dates, lines,
re-pricing, the diff, the statuses that allow it and refusals that change nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import ConcurrentModification, ValidationFailed
from core.models import OutboxEvent
from crm.tests.factories import AddressFactory, CustomerFactory, UserFactory
from inventory.models import Product
from inventory.services import stock_receive
from inventory.tests.factories import ProductFactory, ProductOptionFactory, ProductOptionValueFactory
from orders.errors import DuplicateExternalReference, LineBeingBuilt, OrderNotEditable
from orders.models import Order, OrderEvent, OrderLine
from orders.services import UNSET, LineChange, order_change
from orders.states import BEFORE_APPROVAL, EDITABLE, OrderStatus
from orders.tests.factories import factory_warehouse, make_order
from pricing.models import ShippingRate
from pricing.services import LineRequest, price_lines

S = OrderStatus


def lines_of(order) -> list[OrderLine]:
    return list(OrderLine.objects.filter(order_id=order.pk).order_by("position"))


def snapshot(order) -> tuple:
    """Everything a refused change must leave as it was."""
    fresh = Order.objects.get(pk=order.pk)
    return (
        fresh.version,
        fresh.status,
        fresh.total,
        fresh.notes,
        fresh.requested_delivery_date,
        fresh.shipping_address,
        [(line.pk, line.sku, line.quantity, line.options, line.unit_price) for line in lines_of(order)],
        OrderEvent.objects.filter(order_id=order.pk).count(),
        OutboxEvent.objects.count(),
    )


def change(order, **kwargs):
    kwargs.setdefault("actor", UserFactory(first_name="Wei", last_name="Li"))
    kwargs.setdefault("expected_version", order.version)
    return order_change(order_id=order.pk, **kwargs)


def last_change(order) -> OrderEvent:
    return OrderEvent.objects.filter(order_id=order.pk, kind="order.updated").latest("id")


def assert_totals_are_the_lines(order) -> None:
    lines = lines_of(order)
    assert order.subtotal == sum(line.net_amount for line in lines)
    assert order.discount_total == sum(line.discount_amount for line in lines)
    assert order.tax_total == sum(line.tax_amount for line in lines)
    assert order.total == order.subtotal + order.tax_total + order.shipping_fee


# --- header ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_requested_date_changes_with_a_diff_naming_from_and_to():
    order = make_order(requested_delivery_date=timezone.localdate() + dt.timedelta(days=10))
    before = order.requested_delivery_date
    after = before + dt.timedelta(days=5)

    changed = change(order, requested_delivery_date=after)

    assert changed.requested_delivery_date == after
    assert changed.version == order.version + 1
    event = last_change(order)
    assert event.data["fields"] == ["requested_delivery_date"]
    assert event.data["header"] == [
        {"field": "requested_delivery_date", "from": before.isoformat(), "to": after.isoformat()}
    ]
    assert event.data["lines"] == []


@pytest.mark.django_db
def test_the_requested_date_can_be_cleared_and_unset_leaves_it():
    order = make_order(requested_delivery_date=timezone.localdate() + dt.timedelta(days=10))

    untouched = change(order, requested_delivery_date=UNSET, notes="gate 3")
    cleared = change(untouched, requested_delivery_date=None)

    assert untouched.requested_delivery_date == order.requested_delivery_date
    assert cleared.requested_delivery_date is None


@pytest.mark.django_db
def test_notes_and_reference_change_and_the_reason_is_the_entrys_note():
    order = make_order()

    change(order, notes="Deliver to gate 3", external_reference="PO-9", reason="Customer called")

    event = last_change(order)
    assert event.note == "Customer called"
    assert event.data["header"] == [
        {"field": "notes", "from": "", "to": "Deliver to gate 3"},
        {"field": "external_reference", "from": "", "to": "PO-9"},
    ]


@pytest.mark.django_db
def test_a_saved_address_moves_the_shipping_fee_and_keeps_line_prices():
    order = make_order()
    line = lines_of(order)[0]
    Product.objects.filter(pk=line.product_id).update(list_price=Decimal("150.00"))
    ShippingRate.objects.create(region="Sichuan", base_fee=Decimal("20.00"), per_kg=Decimal("1.50"))
    other = AddressFactory(
        customer=order.customer, region="Sichuan", city="Chengdu", is_default_shipping=False
    )

    changed = change(order, shipping_address_id=other.pk)

    assert lines_of(order)[0].unit_price == Decimal("100.00")
    assert changed.shipping_address["city"] == "Chengdu"
    assert changed.shipping_fee == Decimal("21.50")
    assert_totals_are_the_lines(changed)
    header = {entry["field"]: entry for entry in last_change(order).data["header"]}
    assert header["shipping_address"]["from"]["city"] == "Guangzhou"
    assert header["shipping_address"]["to"]["city"] == "Chengdu"
    assert header["total"]["from"] == str(order.total)
    assert header["total"]["to"] == str(changed.total)


@pytest.mark.django_db
def test_a_typed_address_is_validated_field_by_field_with_the_date_and_nothing_is_written():
    order = make_order()
    before = snapshot(order)

    with pytest.raises(ValidationFailed) as refused:
        change(
            order,
            shipping_address={"recipient": "Li Wei", "region": "Sichuan", "city": "", "line1": ""},
            requested_delivery_date=timezone.localdate() - dt.timedelta(days=1),
        )

    assert set(refused.value.fields) == {
        "shipping_address.city",
        "shipping_address.line1",
        "requested_delivery_date",
    }
    assert snapshot(order) == before


# --- lines and re-pricing -------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_added_line_is_priced_as_at_intake_and_the_totals_follow():
    order = make_order(quantities=[2])
    desk = ProductFactory(sku="DESK-1", list_price=Decimal("333.33"), weight_kg=Decimal("12.5"))
    expected = price_lines(customer=order.customer, lines=[LineRequest(sku="DESK-1", quantity=3)]).lines[0]

    changed = change(order, lines=[LineChange(sku="DESK-1", quantity=3)])

    first, added = lines_of(order)
    assert (added.position, added.product_id, added.quantity) == (2, desk.pk, 3)
    assert (added.unit_price, added.net_amount, added.tax_amount, added.line_total) == (
        expected.unit_price,
        expected.net_amount,
        expected.tax_amount,
        expected.line_total,
    )
    assert first.line_total == Decimal("226.00")  # 2 × 100, 13 % tax: kept
    assert_totals_are_the_lines(changed)
    assert last_change(order).data["lines"] == [
        {"line": 2, "sku": "DESK-1", "change": "added", "from": None, "to": 3, "options": {}}
    ]


@pytest.mark.django_db
def test_a_removed_line_is_gone_and_the_totals_follow():
    order = make_order(quantities=[1, 4])
    first, second = lines_of(order)

    changed = change(order, lines=[LineChange(line_id=second.pk, remove=True)])

    assert [line.pk for line in lines_of(order)] == [first.pk]
    assert changed.subtotal == first.net_amount
    assert_totals_are_the_lines(changed)
    assert last_change(order).data["lines"] == [
        {"line": 2, "sku": second.sku, "change": "removed", "from": 4, "to": None, "options": {}}
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(("before", "after"), [(2, 5), (5, 2)])
def test_a_quantity_up_or_down_reprices_the_line_with_intakes_rounding(before, after):
    order = make_order(products=[ProductFactory(list_price=Decimal("19.99"))], quantities=[before])
    line = lines_of(order)[0]

    changed = change(order, lines=[LineChange(line_id=line.pk, quantity=after)])

    line.refresh_from_db()
    expected = price_lines(customer=order.customer, lines=[LineRequest(sku=line.sku, quantity=after)]).lines[
        0
    ]
    assert (line.quantity, line.net_amount, line.tax_amount) == (
        after,
        expected.net_amount,
        expected.tax_amount,
    )
    assert line.net_amount == (Decimal("19.99") * after).quantize(Decimal("0.01"))
    assert_totals_are_the_lines(changed)
    assert last_change(order).data["lines"] == [
        {"line": 1, "sku": line.sku, "change": "quantity", "from": before, "to": after}
    ]


@pytest.mark.django_db
def test_an_options_change_reprices_and_may_make_the_line_a_custom_build():
    product = ProductFactory(sku="CAB-1")
    colour = ProductOptionFactory(product=product, code="colour", required=False)
    ProductOptionValueFactory(option=colour, code="red")
    ProductOptionValueFactory(option=colour, code="gold", price_delta=Decimal("50.00"), is_custom=True)
    order = make_order(products=[product])
    line = lines_of(order)[0]
    order_change(
        order_id=order.pk, actor=None, expected_version=order.version,
        lines=[LineChange(line_id=line.pk, options={"colour": "red"})],
    )  # fmt: skip
    order.refresh_from_db()

    change(order, lines=[LineChange(line_id=line.pk, options={"colour": "gold"})])

    line.refresh_from_db()
    assert (line.options, line.unit_price, line.is_custom_build) == (
        {"colour": "gold"},
        Decimal("150.00"),
        True,
    )
    assert "Gold" in line.description
    assert last_change(order).data["lines"] == [
        {"line": 1, "sku": "CAB-1", "change": "options", "from": {"colour": "red"}, "to": {"colour": "gold"}},
        {"line": 1, "sku": "CAB-1", "change": "price", "from": "100.00", "to": "150.00"},
    ]


@pytest.mark.django_db
def test_lines_left_alone_keep_their_price_and_a_changed_line_takes_todays():
    chair, desk = ProductFactory(), ProductFactory()
    order = make_order(products=[chair, desk], quantities=[1, 1])
    Product.objects.filter(pk__in=[chair.pk, desk.pk]).update(list_price=Decimal("120.00"))
    first, second = lines_of(order)

    change(order, lines=[LineChange(line_id=second.pk, quantity=2)])

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.unit_price == Decimal("100.00")
    assert second.unit_price == Decimal("120.00")
    assert {"line": 2, "sku": desk.sku, "change": "price", "from": "100.00", "to": "120.00"} in (
        last_change(order).data["lines"]
    )


@pytest.mark.django_db
def test_several_changes_at_once_make_one_entry_and_one_version():
    order = make_order(quantities=[1, 1])
    first, second = lines_of(order)
    new = ProductFactory()

    changed = change(
        order,
        lines=[
            LineChange(line_id=first.pk, quantity=3),
            LineChange(line_id=second.pk, remove=True),
            LineChange(sku=new.sku, quantity=2),
        ],
        notes="all at once",
    )

    assert changed.version == order.version + 1
    assert OrderEvent.objects.filter(order=order, kind="order.updated").count() == 1
    assert [(e["sku"], e["change"]) for e in last_change(order).data["lines"]] == [
        (second.sku, "removed"),
        (first.sku, "quantity"),
        (new.sku, "added"),
    ]
    assert [(line.position, line.quantity) for line in lines_of(order)] == [(1, 3), (3, 2)]


@pytest.mark.django_db
def test_every_bad_line_is_reported_at_the_callers_index_and_nothing_is_written():
    order = make_order(quantities=[1, 1])
    first, second = lines_of(order)
    before = snapshot(order)

    with pytest.raises(ValidationFailed) as refused:
        change(
            order,
            lines=[
                LineChange(line_id=first.pk, quantity=2),
                LineChange(sku="NOPE", quantity=1),
                LineChange(line_id=second.pk, quantity=0),
                LineChange(line_id=999_999, quantity=1),
                LineChange(sku="", quantity=None),
                LineChange(line_id=first.pk, sku="OTHER", quantity=1),
            ],
        )

    assert set(refused.value.fields) == {
        "lines[1].sku",
        "lines[2].quantity",
        "lines[3]",
        "lines[4].sku",
        "lines[4].quantity",
        "lines[5]",
    }
    assert snapshot(order) == before


@pytest.mark.django_db
def test_removing_every_line_is_refused():
    order = make_order()
    line = lines_of(order)[0]
    before = snapshot(order)

    with pytest.raises(ValidationFailed) as refused:
        change(order, lines=[LineChange(line_id=line.pk, remove=True)])

    assert "lines" in refused.value.fields
    assert snapshot(order) == before


@pytest.mark.django_db
def test_a_change_that_changes_nothing_writes_nothing():
    order = make_order()
    line = lines_of(order)[0]
    before = snapshot(order)

    same = change(order, lines=[LineChange(line_id=line.pk, quantity=line.quantity)], notes="")

    assert same.version == order.version
    assert snapshot(order) == before


@pytest.mark.django_db
def test_a_stale_version_is_refused_and_nothing_is_written():
    order = make_order()
    line = lines_of(order)[0]
    change(order, notes="someone else")
    before = snapshot(order)

    with pytest.raises(ConcurrentModification) as refused:
        change(order, lines=[LineChange(line_id=line.pk, quantity=9)])

    assert refused.value.extra == {"current_version": order.version + 1}
    assert snapshot(order) == before


@pytest.mark.django_db
def test_the_change_announces_order_updated_with_the_fields(emitted, django_capture_on_commit_callbacks):
    order = make_order()
    line = lines_of(order)[0]

    with django_capture_on_commit_callbacks(execute=True):
        change(order, lines=[LineChange(line_id=line.pk, quantity=2)], notes="x")

    assert ("order.updated", {"order_id": order.pk, "fields": ["notes", "lines"]}) in emitted


@pytest.mark.django_db
def test_the_promise_is_worked_out_again_from_what_the_lines_need():
    product = ProductFactory(lead_time_days=30)
    order = make_order(products=[product], quantities=[1])
    line = lines_of(order)[0]
    # Nothing in stock: lead time; after receiving stock the promise for a changed line comes forward.
    assert order.promised_delivery_date >= timezone.localdate() + dt.timedelta(days=30)
    stock_receive(product_id=product.pk, warehouse_id=factory_warehouse().pk, quantity=10)

    changed = change(order, lines=[LineChange(line_id=line.pk, quantity=2)])

    assert changed.promised_delivery_date < order.promised_delivery_date
    header = {entry["field"]: entry for entry in last_change(order).data["header"]}
    assert header["promised_delivery_date"]["to"] == changed.promised_delivery_date.isoformat()


# --- where the lifecycle allows it ----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("status", [S.DRAFT, S.SUBMITTED, S.IN_REVIEW, S.APPROVED, S.ALLOCATED])
def test_order_managers_change_orders_until_they_are_being_shipped(status):
    order = make_order(quantities=[2], status=status)
    line = lines_of(order)[0]

    change(order, lines=[LineChange(line_id=line.pk, quantity=1)], notes="fine")

    line.refresh_from_db()
    assert line.quantity == 1


@pytest.mark.django_db
def test_an_order_on_hold_changes_as_the_status_it_was_held_from():
    held = make_order(status=S.ON_HOLD, held_from=S.APPROVED)

    changed = change(held, notes="while on hold")

    assert (changed.status, changed.notes) == (S.ON_HOLD, "while on hold")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "held_from"),
    [
        (S.READY_TO_SHIP, ""),
        (S.PARTIALLY_SHIPPED, ""),
        (S.SHIPPED, ""),
        (S.DELIVERED, ""),
        (S.COMPLETED, ""),
        (S.CANCELLED, ""),
        (S.REJECTED, ""),
        (S.ON_HOLD, S.READY_TO_SHIP),
    ],
)
def test_from_ready_to_ship_on_and_once_closed_nothing_changes(status, held_from):
    order = make_order(status=status, held_from=held_from, stock=False)
    line = lines_of(order)[0]
    before = snapshot(order)

    with pytest.raises(OrderNotEditable) as refused:
        change(order, lines=[LineChange(line_id=line.pk, quantity=5)], notes="late")

    assert refused.value.code == "order_not_editable"
    assert refused.value.status == 409
    assert str(S(status).label) in str(refused.value.message)
    assert snapshot(order) == before


@pytest.mark.django_db
@pytest.mark.parametrize(("within", "status"), [(EDITABLE, S.IN_REVIEW), (BEFORE_APPROVAL, S.APPROVED)])
def test_outside_the_callers_statuses_the_refusal_says_order_managers_still_can(within, status):
    order = make_order(status=status)
    before = snapshot(order)

    with pytest.raises(OrderNotEditable) as refused:
        change(order, notes="mine", within=within)

    assert "only order managers can change it" in str(refused.value.message)
    assert snapshot(order) == before


@pytest.mark.django_db
def test_in_production_stock_lines_and_the_header_change_but_not_the_lines_being_built():
    built = ProductFactory(made_to_order=True)
    order = make_order(products=[ProductFactory(), built], quantities=[2, 1], status=S.IN_PRODUCTION)
    stock_line, built_line = lines_of(order)

    changed = change(order, lines=[LineChange(line_id=stock_line.pk, quantity=3)], notes="ok")
    before = snapshot(changed)
    with pytest.raises(LineBeingBuilt) as quantity:
        change(changed, lines=[LineChange(line_id=built_line.pk, quantity=2)])
    with pytest.raises(LineBeingBuilt) as removal:
        change(changed, lines=[LineChange(line_id=built_line.pk, remove=True)])
    with pytest.raises(LineBeingBuilt) as addition:
        change(changed, lines=[LineChange(sku=ProductFactory(made_to_order=True).sku, quantity=1)])

    assert changed.notes == "ok"
    assert quantity.value.fields == {"lines[0]": ["Being built by production: it can no longer be changed."]}
    assert removal.value.code == addition.value.code == "line_in_production"
    assert snapshot(changed) == before


@pytest.mark.django_db
def test_a_line_cannot_go_below_what_has_shipped_nor_be_removed():
    order = make_order(quantities=[5, 1], status=S.ALLOCATED)
    first, second = lines_of(order)
    # Set-up shortcut: shipping happens from ready to ship on, so these units stand for a shipment.
    OrderLine.objects.filter(pk=first.pk).update(quantity_shipped=3)
    OrderLine.objects.filter(pk=second.pk).update(quantity_shipped=1)
    before = snapshot(order)

    with pytest.raises(ValidationFailed) as refused:
        change(
            order,
            lines=[LineChange(line_id=first.pk, quantity=2), LineChange(line_id=second.pk, remove=True)],
        )

    assert set(refused.value.fields) == {"lines[0].quantity", "lines[1]"}
    assert snapshot(order) == before


@pytest.mark.django_db
def test_a_reference_another_order_uses_is_refused():
    customer = CustomerFactory()
    make_order(customer=customer, external_reference="PO-1")
    order = make_order(customer=customer)
    before = snapshot(order)

    with pytest.raises(DuplicateExternalReference) as refused:
        change(order, external_reference="PO-1")

    assert refused.value.code == "duplicate_external_reference"
    assert snapshot(order) == before
