"""Creating a work order books the earliest slot the capacity and the calendar allow."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import ValidationFailed
from inventory.models import ExpectedReceipt
from inventory.selectors import atp_timeline
from inventory.tests.factories import ProductFactory
from orders.models import OrderEvent
from orders.states import OrderEventKind, OrderStatus
from orders.tests.factories import make_order
from production.models import BomLine, PlantDay, WorkOrder, WorkOrderEvent, WorkOrderLoad
from production.services.scheduling import work_order_create
from production.states import WorkOrderEventKind, WorkOrderKind, WorkOrderStatus
from production.tests.factories import FamilyCategoryFactory, ProductionLineFactory, make_production_setup

from .conftest import day, loads_of


def _at(date, hour, minute=0):
    return timezone.make_aware(dt.datetime.combine(date, dt.time(hour, minute)))


@pytest.mark.django_db
def test_units_fill_the_days_from_the_first_free_one_and_the_plan_follows_the_routing(setup, monday):
    _family, plant, line, _stages, product = setup

    work_order = work_order_create(product_id=product.pk, quantity=10)

    # 4 a day: Monday, Tuesday, and 2 on Wednesday; the 2.5 days of stages run on from there
    assert loads_of(work_order) == [(monday, 4), (day(monday, 1), 4), (day(monday, 2), 2)]
    assert (work_order.plant, work_order.line, work_order.status) == (plant, line, WorkOrderStatus.PLANNED)
    assert work_order.planned_start == _at(monday, 8)
    assert work_order.planned_finish == _at(day(monday, 4), 12)
    assert work_order.eta == work_order.planned_finish
    assert work_order.promised_date == day(monday, 4)
    assert work_order.number.startswith(f"WO-{timezone.localdate().year}-")
    stages = list(work_order.stages.values_list("code", "planned_start", "planned_finish"))
    assert stages == [
        ("welding", _at(monday, 8), _at(day(monday, 2), 16)),
        ("painting", _at(day(monday, 1), 8), _at(day(monday, 3), 12)),
        ("assembly", _at(day(monday, 1), 12), _at(day(monday, 4), 12)),
    ]


@pytest.mark.django_db
def test_the_number_comes_from_the_work_order_sequence_one_after_the_other(setup):
    product = setup[4]

    first = work_order_create(product_id=product.pk, quantity=1)
    second = work_order_create(product_id=product.pk, quantity=1)

    assert int(second.number.rsplit("-", 1)[1]) == int(first.number.rsplit("-", 1)[1]) + 1
    assert second.sequence == first.sequence + 1


@pytest.mark.django_db
def test_a_second_work_order_takes_only_what_is_left_and_no_day_is_overbooked(setup, monday):
    line, product = setup[2], setup[4]
    work_order_create(product_id=product.pk, quantity=6)

    second = work_order_create(product_id=product.pk, quantity=5)

    assert loads_of(second) == [(day(monday, 1), 2), (day(monday, 2), 3)]
    per_day = {}
    for load_day, units in WorkOrderLoad.objects.filter(line=line).values_list("day", "units"):
        per_day[load_day] = per_day.get(load_day, 0) + units
    assert per_day == {monday: 4, day(monday, 1): 4, day(monday, 2): 3}


@pytest.mark.django_db
def test_weekends_and_holidays_get_no_booking_and_a_make_up_saturday_does(setup, monday):
    plant, product = setup[1], setup[4]
    PlantDay.objects.create(plant=plant, date=day(monday, 1), is_working=False, name="Holiday")
    PlantDay.objects.create(plant=plant, date=day(monday, 5), is_working=True, name="Make-up day")

    work_order = work_order_create(product_id=product.pk, quantity=24)

    assert [d for d, _units in loads_of(work_order)] == [
        monday,
        day(monday, 2),
        day(monday, 3),
        day(monday, 4),
        day(monday, 5),  # the make-up Saturday
        day(monday, 7),  # Sunday skipped
    ]


@pytest.mark.django_db
def test_the_earliest_day_is_honoured(setup, monday):
    product = setup[4]

    work_order = work_order_create(product_id=product.pk, quantity=2, earliest=day(monday, 2))

    assert loads_of(work_order) == [(day(monday, 2), 2)]


@pytest.mark.django_db
def test_the_plant_that_finishes_first_gets_it_and_plant_id_restricts(setup, monday):
    family, busy_plant, busy_line, _stages, product = setup
    # the busy line is full on Monday and Tuesday
    work_order_create(product_id=product.pk, quantity=8)
    _f, free_plant, free_line, _s, _p = make_production_setup(family=family, units_per_day=2)

    earliest = work_order_create(product_id=product.pk, quantity=2)
    restricted = work_order_create(product_id=product.pk, quantity=2, plant_id=busy_plant.pk)

    assert (earliest.plant, earliest.line, loads_of(earliest)) == (free_plant, free_line, [(monday, 2)])
    assert (restricted.line, loads_of(restricted)) == (busy_line, [(day(monday, 2), 2)])


@pytest.mark.django_db
def test_an_inactive_line_or_plant_or_a_plant_without_warehouse_is_never_chosen(setup, monday):
    family, _plant, line, _stages, product = setup
    line.is_active = False
    line.save()
    _f, plant2, line2, _s, _p = make_production_setup(family=family)
    plant2.is_active = False
    plant2.save()
    _f, plant3, line3, _s, _p = make_production_setup(family=family)
    plant3.warehouse = None
    plant3.save()

    with pytest.raises(ValidationFailed) as refused:
        work_order_create(product_id=product.pk, quantity=1)

    assert "product" in refused.value.fields
    assert not WorkOrder.objects.exists()


@pytest.mark.django_db
def test_a_product_of_no_family_is_refused_on_the_product_field_and_nothing_is_written(setup):
    with pytest.raises(ValidationFailed) as refused:
        work_order_create(product_id=ProductFactory().pk, quantity=1)

    assert list(refused.value.fields) == ["product"]
    assert not WorkOrder.objects.exists()
    assert not ExpectedReceipt.objects.exists()


@pytest.mark.django_db
def test_a_family_without_routing_is_refused(db, today):
    link = FamilyCategoryFactory()
    ProductionLineFactory(family=link.family)
    product = ProductFactory(category=link.category)

    with pytest.raises(ValidationFailed) as refused:
        work_order_create(product_id=product.pk, quantity=1)

    assert "routing" in str(refused.value.fields["product"][0])
    assert not WorkOrder.objects.exists()


@pytest.mark.django_db
def test_a_plant_without_a_line_for_the_family_is_refused_on_the_plant_field(setup):
    product = setup[4]
    _f, other_plant, _l, _s, _p = make_production_setup()

    with pytest.raises(ValidationFailed) as refused:
        work_order_create(product_id=product.pk, quantity=1, plant_id=other_plant.pk)

    assert list(refused.value.fields) == ["plant"]
    assert not WorkOrder.objects.exists()


@pytest.mark.django_db
def test_materials_are_copied_from_the_bill_of_materials(setup):
    product = setup[4]
    wheel = ProductFactory()
    BomLine.objects.create(product=product, component=wheel, quantity=Decimal("4"))

    work_order = work_order_create(product_id=product.pk, quantity=3)

    assert list(work_order.materials.values_list("component_id", "quantity", "reserved")) == [
        (wheel.pk, 12, 0)
    ]


@pytest.mark.django_db
def test_the_planned_entry_is_recorded_and_the_event_emitted(
    setup, emitted, django_capture_on_commit_callbacks
):
    product = setup[4]

    with django_capture_on_commit_callbacks(execute=True):
        work_order = work_order_create(product_id=product.pk, quantity=1)

    entry = WorkOrderEvent.objects.get(work_order=work_order)
    assert (entry.kind, entry.to_status) == (WorkOrderEventKind.PLANNED, WorkOrderStatus.PLANNED)
    assert [name for name, _payload in emitted] == ["work_order.planned"]
    assert emitted[0][1]["number"] == work_order.number


@pytest.mark.django_db
def test_make_to_stock_announces_its_units_to_available_to_promise(setup, monday):
    _family, plant, _line, _stages, _mto = setup
    stocked = ProductFactory(category=setup[0].category_links.first().category, made_to_order=False)

    work_order = work_order_create(product_id=stocked.pk, quantity=3)

    receipt = work_order.expected_receipt
    assert work_order.kind == WorkOrderKind.STOCK
    assert (receipt.product, receipt.warehouse, receipt.quantity) == (stocked, plant.warehouse, 3)
    assert receipt.expected_on == work_order.promised_date
    steps = atp_timeline(product_ids=[stocked.pk])[stocked.pk]
    assert steps[0].quantity == 3
    assert steps[0].ready_on == work_order.promised_date + dt.timedelta(days=1)


@pytest.mark.django_db
def test_a_work_order_for_an_order_line_writes_the_lines_promise_and_eta(setup):
    product = setup[4]
    order = make_order(products=[product], quantities=[2], status=OrderStatus.APPROVED)
    line = order.lines.get()

    work_order = work_order_create(product_id=product.pk, quantity=2, order_line_id=line.pk)

    line.refresh_from_db()
    assert (work_order.kind, work_order.order, work_order.order_line) == (WorkOrderKind.ORDER, order, line)
    assert line.promised_date == line.eta == work_order.promised_date
    step = OrderEvent.objects.get(order=order, kind=OrderEventKind.PRODUCTION_PROGRESS)
    assert (step.data["event"], step.data["work_order"]) == ("scheduled", work_order.number)
    assert not ExpectedReceipt.objects.exists()


@pytest.mark.django_db
def test_after_the_shift_has_ended_nothing_is_booked_on_today(monkeypatch):
    _family, plant, line, _stages, product = make_production_setup(working_weekdays="1234567")
    evening = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(20, 0)))
    monkeypatch.setattr(timezone, "now", lambda: evening)

    work_order = work_order_create(product_id=product.pk, quantity=1)

    assert work_order.loads.get().day == timezone.localdate(evening) + dt.timedelta(days=1)
