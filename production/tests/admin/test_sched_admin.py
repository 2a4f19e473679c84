"""The production scheduler's admin: the make-to-stock form, a work order's page and buttons, the schedule."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.tests.factories import ProductFactory
from orders.admin import TRANSITIONS_BY_KEY
from orders.states import OrderStatus
from orders.tests.factories import make_order
from production.models import PlantDay, WorkOrder
from production.selectors.schedule import plant_schedule
from production.services.scheduling import work_order_create
from production.states import WorkOrderStatus
from production.tests.factories import make_production_setup


def _action(work_order, key):
    return reverse("admin:production_workorder_action", args=[work_order.pk, key])


def _change(work_order):
    return reverse("admin:production_workorder_change", args=[work_order.pk])


@pytest.mark.django_db
def test_the_add_form_schedules_a_make_to_stock_work_order(scheduler_client, setup, monday):
    stocked = ProductFactory(category=setup[4].category)
    url = reverse("admin:production_workorder_add")

    page = scheduler_client.get(url)
    data = {"product": stocked.pk, "quantity": 3, "earliest": monday.isoformat()}
    response = scheduler_client.post(url, data)

    work_order = WorkOrder.objects.get()
    assert page.status_code == 200
    assert response.status_code == 302
    assert response["Location"] == _change(work_order)
    assert (work_order.product, work_order.quantity, work_order.expected_receipt.quantity) == (stocked, 3, 3)


@pytest.mark.django_db
def test_the_add_form_shows_the_services_refusal_on_the_field_and_writes_nothing(scheduler_client, setup):
    _f, other_plant, _l, _s, _p = make_production_setup()

    data = {"product": setup[4].pk, "quantity": 1, "plant": other_plant.pk}
    response = scheduler_client.post(reverse("admin:production_workorder_add"), data)

    assert response.status_code == 200
    assert "plant" in response.context["adminform"].form.errors
    assert not WorkOrder.objects.exists()


@pytest.mark.django_db
def test_the_work_order_page_shows_stages_materials_timeline_and_the_buttons(scheduler_client, setup):
    work_order = work_order_create(product_id=setup[4].pk, quantity=2)

    response = scheduler_client.get(_change(work_order))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Frame welding" in body
    for key in ("move", "resequence", "split", "cancel"):
        assert _action(work_order, key) in body
    assert 'name="status"' not in body


@pytest.mark.django_db
def test_a_reader_sees_no_buttons_and_cannot_use_them(manager_client, setup):
    work_order = work_order_create(product_id=setup[4].pk, quantity=2)

    page = manager_client.get(_change(work_order))
    refused = manager_client.post(_action(work_order, "cancel"), {"reason": "x"})

    assert page.status_code == 200
    assert _action(work_order, "cancel") not in page.content.decode()
    assert refused.status_code == 403
    assert WorkOrder.objects.get().status == WorkOrderStatus.PLANNED


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["move", "resequence", "split", "cancel"])
def test_each_button_opens_its_form(scheduler_client, setup, key):
    work_order = work_order_create(product_id=setup[4].pk, quantity=2)

    response = scheduler_client.get(_action(work_order, key))

    assert response.status_code == 200
    assert work_order.number in response.content.decode()


@pytest.mark.django_db
def test_cancel_needs_a_reason_and_then_cancels(scheduler_client, setup):
    work_order = work_order_create(product_id=setup[4].pk, quantity=2)

    missing = scheduler_client.post(_action(work_order, "cancel"), {"reason": ""})
    done = scheduler_client.post(_action(work_order, "cancel"), {"reason": "not needed"})

    assert missing.status_code == 200
    assert done.status_code == 302
    assert WorkOrder.objects.get().status == WorkOrderStatus.CANCELLED


@pytest.mark.django_db
def test_split_move_and_resequence_call_their_services(scheduler_client, setup):
    family, _plant, line, _stages, product = setup
    _f, _p, other_line, _s, _x = make_production_setup(family=family)
    first = work_order_create(product_id=product.pk, quantity=4, plant_id=line.plant_id)
    second = work_order_create(product_id=product.pk, quantity=4, plant_id=line.plant_id)

    split = scheduler_client.post(_action(first, "split"), {"quantity": 1})
    resequenced = scheduler_client.post(_action(second, "resequence"), {"position": 1})
    moved = scheduler_client.post(_action(first, "move"), {"line": other_line.pk})

    new = WorkOrder.objects.get(split_from=first)
    assert [r.status_code for r in (split, resequenced, moved)] == [302, 302, 302]
    assert split["Location"] == _change(new)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.quantity, first.line) == (3, other_line)
    assert second.sequence == 1


@pytest.mark.django_db
def test_a_refused_split_is_reported_and_changes_nothing(scheduler_client, setup):
    work_order = work_order_create(product_id=setup[4].pk, quantity=2)

    response = scheduler_client.post(_action(work_order, "split"), {"quantity": 5})

    assert response.status_code == 200
    assert "between 1 and 1" in response.content.decode()
    assert WorkOrder.objects.get().quantity == 2


@pytest.mark.django_db
def test_the_changelist_filters_and_links_to_the_schedule(scheduler_client, setup):
    work_order_create(product_id=setup[4].pk, quantity=2)
    url = reverse("admin:production_workorder_changelist")

    responses = [
        scheduler_client.get(url),
        scheduler_client.get(url, {"status__exact": "planned", "delayed": "yes"}),
        scheduler_client.get(url, {"materials_short__exact": "1", "line__id__exact": setup[2].pk}),
    ]

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert reverse("admin:production_workorder_schedule") in responses[0].content.decode()


@pytest.mark.django_db
def test_the_schedule_page_shows_load_against_capacity_and_the_work_orders(scheduler_client, setup, monday):
    _family, plant, line, _stages, product = setup
    PlantDay.objects.create(plant=plant, date=monday, is_working=False, name="Holiday")
    work_order = work_order_create(product_id=product.pk, quantity=6)

    response = scheduler_client.get(
        reverse("admin:production_workorder_schedule"), {"plant": plant.pk, "start": monday.isoformat()}
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "4/4" in body
    assert "load-full" in body
    assert "day-off" in body
    assert _change(work_order) in body
    schedule = response.context["schedule"]
    assert sum(d.working for d in schedule.days) == 14
    assert [c.booked for c in schedule.lines[0].cells[:3]] == [0, 4, 2]


@pytest.mark.django_db
def test_the_plant_schedule_takes_the_same_queries_however_many_work_orders(setup, monday):
    family, plant, _line, _stages, product = setup
    make_production_setup(family=family, plant=plant)
    work_order_create(product_id=product.pk, quantity=2)
    with CaptureQueriesContext(connection) as few:
        plant_schedule(plant_id=plant.pk, start=monday)
    for _ in range(5):
        work_order_create(product_id=product.pk, quantity=3)
    with CaptureQueriesContext(connection) as more:
        schedule = plant_schedule(plant_id=plant.pk, start=monday)

    assert len(few.captured_queries) == len(more.captured_queries) == 5
    assert len(schedule.work_orders) == 6


@pytest.mark.django_db
def test_plants_and_families_pages_render_with_their_inlines(scheduler_client, setup):
    family, plant, _line, _stages, _product = setup

    responses = [
        scheduler_client.get(reverse("admin:production_plant_change", args=[plant.pk])),
        scheduler_client.get(reverse("admin:production_productfamily_change", args=[family.pk])),
        scheduler_client.get(reverse("admin:production_plant_add")),
    ]

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert "Frame welding" in responses[1].content.decode()


@pytest.mark.django_db
def test_the_orders_admin_no_longer_offers_start_production(manager_client, setup):
    order = make_order(products=[setup[4]], status=OrderStatus.APPROVED)

    page = manager_client.get(reverse("admin:orders_order_change", args=[order.pk]))

    assert "start_production" not in TRANSITIONS_BY_KEY
    assert "transition-start_production" not in page.content.decode()
