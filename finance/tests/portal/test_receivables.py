"""The portal's receivables page: a rep sees the ageing of their own customers only."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.tests.factories import CustomerFactory, UserFactory, dealer_user
from finance.services import invoice_dispute
from finance.tests.factories import make_open_invoice

URL = "/portal/receivables/"


@pytest.fixture
def rep(db):
    return UserFactory(username="rep-rita")


@pytest.mark.django_db
def test_a_rep_sees_only_their_customers_with_overdue_invoices_listed(client, rep):
    mine = CustomerFactory(name="Acme", sales_rep=rep)
    late = make_open_invoice(customer=mine, days_overdue=40, total=Decimal("300.00"))
    make_open_invoice(customer=mine, days_overdue=0, total=Decimal("50.00"))
    invoice_dispute(invoice_id=late.pk, reason="damaged")
    theirs = CustomerFactory(name="Other rep's", sales_rep=UserFactory())
    hidden = make_open_invoice(customer=theirs, days_overdue=70)
    client.force_login(rep)

    response = client.get(URL)

    assert response.status_code == 200
    (row,) = response.context["rows"]
    assert (row.label, row.total, row.overdue, row.disputed) == (
        "Acme",
        Decimal("350.00"),
        Decimal("300.00"),
        Decimal("300.00"),
    )
    assert [(i.number, i.days_overdue) for i in row.overdue_invoices] == [(late.number, 40)]
    assert response.context["total"].total == Decimal("350.00")
    page = response.content.decode()
    assert late.number in page
    assert "disputed" in page
    assert hidden.number not in page
    assert "Other rep" not in page


@pytest.mark.django_db
def test_the_page_is_linked_for_reps(client, rep):
    CustomerFactory(sales_rep=rep)
    client.force_login(rep)

    assert 'href="/portal/receivables/"' in client.get("/portal/").content.decode()


@pytest.mark.django_db
def test_dealers_and_others_are_refused(client):
    customer = CustomerFactory()
    make_open_invoice(customer=customer, days_overdue=10)
    client.force_login(dealer_user(customer, username="dealer-dan"))

    response = client.get(URL)

    assert response.status_code == 403
    assert "rows" not in (response.context or {})


@pytest.mark.django_db
def test_finance_staff_see_every_customer(client):
    make_open_invoice(customer=CustomerFactory(sales_rep=UserFactory()), days_overdue=10)
    make_open_invoice(customer=CustomerFactory(), days_overdue=100)
    clerk = UserFactory(username="fin", is_staff=True)
    call_command("sync_roles", verbosity=0)
    clerk.groups.add(Group.objects.get(name="Finance"))
    client.force_login(clerk)

    response = client.get(URL)

    assert len(response.context["rows"]) == 2


@pytest.mark.django_db
def test_the_page_queries_do_not_grow_with_customers_and_invoices(client, rep, django_assert_max_num_queries):
    make_open_invoice(customer=CustomerFactory(sales_rep=rep), days_overdue=10)
    client.force_login(rep)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for days in (5, 35, 65, 95, 0):
        customer = CustomerFactory(sales_rep=rep)
        make_open_invoice(customer=customer, days_overdue=days)
        make_open_invoice(customer=customer, days_overdue=days + 1)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL)

    assert len(response.context["rows"]) == 6
