"""The rep's builds page and the production card on the order's page."""

import pytest
from django.test import Client

from crm.tests.factories import CustomerFactory, UserFactory
from orders.tests.factories import make_order
from production.services.progress import stage_finish, stage_start
from production.tests.factories_floor import make_work_order

pytestmark = pytest.mark.django_db
BUILDS = "/portal/builds/"


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_a_rep_sees_the_stages_progress_and_eta_of_their_customers_builds(rep, rep_work_order):
    stage_start(work_order_id=rep_work_order.pk, stage_code="welding")

    page = client_for(rep).get(BUILDS).content.decode()

    assert rep_work_order.order.number in page
    assert "Frame welding" in page
    assert 'href="/portal/builds/"' in page  # the nav entry


def test_a_rep_does_not_see_another_reps_customers_builds(rep, rep_work_order):
    other_rep = UserFactory()
    CustomerFactory(sales_rep=other_rep)

    page = client_for(other_rep).get(BUILDS).content.decode()

    assert rep_work_order.number not in page
    assert rep_work_order.order.number not in page


def test_a_user_who_is_not_a_rep_gets_no_builds(rep_work_order):
    response = client_for(UserFactory()).get(BUILDS)

    assert response.status_code == 403
    assert 'href="/portal/builds/"' not in response.content.decode()


def test_a_build_past_its_promise_is_flagged(rep, rep_work_order):
    rep_work_order.promised_date = rep_work_order.planned_finish.date()
    rep_work_order.eta = rep_work_order.planned_finish.replace(year=rep_work_order.planned_finish.year + 1)
    rep_work_order.save()

    page = client_for(rep).get(BUILDS).content.decode()

    assert 'class="late"' in page
    assert "delayed" in page


def test_the_builds_query_count_does_not_grow_with_builds(
    rep, rep_work_order, plant, django_assert_max_num_queries
):
    client = client_for(rep)
    client.get(BUILDS)
    for _ in range(15):
        order = make_order(customer=rep_work_order.order.customer)
        line = order.lines.first()
        make_work_order(plant=plant, order=order, order_line=line, product=line.product)

    with django_assert_max_num_queries(8):
        response = client.get(BUILDS)

    assert response.content.decode().count('id="build-') == 16


def test_the_order_page_shows_a_production_card_per_built_line(rep, rep_work_order):
    stage_start(work_order_id=rep_work_order.pk, stage_code="welding")
    stage_finish(work_order_id=rep_work_order.pk, stage_code="welding")

    page = client_for(rep).get(f"/portal/orders/{rep_work_order.order.number}/").content.decode()

    assert 'id="production-line-1"' in page
    assert "25 percent" in page
    assert "Frame welding finished." in page  # the timeline, in words
    assert 'href="/portal/builds/"' in page
