"""The role checks as config/portal_urls.py wires them into the home page and core's token pages."""

import copy

import pytest
from django.contrib.auth.models import Group

from crm.tests.factories import CustomerFactory, UserFactory
from orders.services import order_transition
from orders.states import OrderStatus
from orders.tests.factories import make_order


@pytest.mark.django_db
def test_rep_home_shows_customers_recent_orders_and_counts_by_status(
    client, rep, rep_customer, dealer_customer
):
    submitted = make_order(customer=rep_customer)
    cancelled = make_order(customer=rep_customer)
    order_transition(order_id=cancelled.pk, to=OrderStatus.CANCELLED, reason="test")
    foreign = make_order(customer=dealer_customer)
    client.force_login(rep)

    response = client.get("/portal/")

    page = response.content.decode()
    (panel,) = response.context["panels"]
    assert response.status_code == 200
    assert 'id="rep-panel"' in page
    assert submitted.number in page
    assert cancelled.number in page
    assert foreign.number not in page
    assert panel.context["counts"] == [("submitted", "Submitted", 1), ("cancelled", "Cancelled", 1)]
    assert 'href="/portal/orders/new/"' in page


@pytest.mark.django_db
def test_dealer_home_shows_own_orders_and_links_to_tokens_and_webhooks(
    client, dealer, dealer_customer, rep_customer
):
    own = make_order(customer=dealer_customer)
    foreign = make_order(customer=rep_customer)
    client.force_login(dealer)

    page = client.get("/portal/").content.decode()

    assert 'id="dealer-panel"' in page
    assert 'id="rep-panel"' not in page
    assert own.number in page
    assert foreign.number not in page
    assert 'href="/portal/tokens/"' in page
    assert 'href="/portal/webhooks/"' in page


@pytest.mark.django_db
def test_a_member_of_the_sales_rep_group_without_customers_gets_the_rep_panel(client):
    user = UserFactory()
    user.groups.add(Group.objects.get_or_create(name="Sales rep")[0])
    client.force_login(user)

    response = client.get("/portal/")

    assert 'id="rep-panel"' in response.content.decode()
    assert client.get("/portal/orders/").status_code == 200


@pytest.mark.django_db
def test_a_user_with_no_role_gets_a_friendly_home_page(client, outsider):
    client.force_login(outsider)

    response = client.get("/portal/")

    assert response.status_code == 200
    assert response.context["panels"] == []
    assert b"Nothing here yet" in response.content


@pytest.mark.django_db
def test_only_dealers_reach_the_token_page(client, rep, rep_customer, dealer):
    client.force_login(dealer)
    assert client.get("/portal/tokens/").status_code == 200

    client.force_login(rep)
    assert client.get("/portal/tokens/").status_code == 403


@pytest.mark.django_db
def test_a_rep_who_is_also_a_dealer_sees_both_panels_and_both_sets_of_orders(client, rep, rep_customer):
    own = CustomerFactory()
    own.users.add(rep)
    as_rep = make_order(customer=rep_customer)
    as_dealer = make_order(customer=own)
    client.force_login(rep)

    home = client.get("/portal/").content.decode()
    listed = {o.number for o in client.get("/portal/orders/").context["orders"]}

    assert 'id="rep-panel"' in home
    assert 'id="dealer-panel"' in home
    assert listed == {as_rep.number, as_dealer.number}


@pytest.fixture
def nav_by_role(settings):
    templates = copy.deepcopy(settings.TEMPLATES)
    processors = templates[0]["OPTIONS"]["context_processors"]
    if "orders.portal.context_processors.portal_roles" not in processors:
        processors.append("orders.portal.context_processors.portal_roles")
    settings.TEMPLATES = templates


@pytest.mark.django_db
def test_with_the_roles_context_processor_the_nav_links_only_the_users_sections(
    client, nav_by_role, rep, rep_customer, dealer
):
    client.force_login(rep)
    rep_page = client.get("/portal/orders/").content.decode()
    client.force_login(dealer)
    dealer_page = client.get("/portal/orders/").content.decode()

    assert 'href="/portal/orders/"' in rep_page
    assert 'href="/portal/tokens/"' not in rep_page
    assert 'href="/portal/tokens/"' in dealer_page
    assert 'href="/portal/webhooks/"' in dealer_page


@pytest.mark.django_db
def test_the_roles_context_processor_costs_no_query_on_a_page_that_checked_roles(
    client, nav_by_role, rep, rep_customer, django_assert_max_num_queries
):
    client.force_login(rep)

    with django_assert_max_num_queries(7):
        client.get("/portal/orders/")
