"""Collections in the admin: the receivables ageing page, disputes, reminder levels, reminders on the
invoice and the customer, and credit holds set and released by finance."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from crm.models import CreditEventKind, Customer, CustomerCreditEvent
from crm.services import customer_set_credit_hold
from crm.tests.factories import CustomerFactory, UserFactory
from finance.models import DunningLevel, Invoice
from finance.services import dunning_run
from finance.tests.factories import default_levels, make_open_invoice
from tests.admin.conftest import staff_in

AGEING = "/admin/finance/receivablesageing/"


@pytest.fixture
def finance_client(roles, client):
    client.force_login(staff_in("Finance", username="finance"))
    return client


@pytest.mark.django_db
def test_the_ageing_page_shows_totals_per_rep_and_per_customer(finance_client):
    li = UserFactory(username="li", first_name="Na", last_name="Li")
    mine = CustomerFactory(name="Acme", code="ACME", sales_rep=li)
    make_open_invoice(customer=mine, days_overdue=45, total=Decimal("300.00"))
    make_open_invoice(customer=CustomerFactory(code="LONE"), days_overdue=0, total=Decimal("20.00"))

    response = finance_client.get(AGEING)

    assert response.status_code == 200
    assert response.context["total"].total == Decimal("320.00")
    assert [(row.label, row.total) for row in response.context["by_rep"]] == [
        ("Na Li", Decimal("300.00")),
        ("No sales rep", Decimal("20.00")),
    ]
    assert [row.code for row in response.context["rows"]] == ["ACME", "LONE"]
    assert "31–60 days" in response.content.decode()


@pytest.mark.django_db
def test_the_ageing_page_filters_by_rep(finance_client):
    li = UserFactory(username="li")
    make_open_invoice(customer=CustomerFactory(code="MINE", sales_rep=li), days_overdue=5)
    make_open_invoice(customer=CustomerFactory(code="NONE"), days_overdue=5)

    by_li = finance_client.get(AGEING, {"rep": li.pk})
    without = finance_client.get(AGEING, {"rep": "none"})

    assert [row.code for row in by_li.context["rows"]] == ["MINE"]
    assert [row.code for row in without.context["rows"]] == ["NONE"]


@pytest.mark.django_db
def test_the_ageing_page_opens_for_order_managers(manager_client):
    assert manager_client.get(AGEING).status_code == 200


@pytest.mark.django_db
def test_the_ageing_page_is_closed_to_dealers(dealer_client):
    assert dealer_client.get(AGEING).status_code == 302


@pytest.mark.django_db
def test_dispute_actions_need_a_reason_and_go_through_the_service(finance_client):
    invoice = make_open_invoice(days_overdue=10)
    url = reverse("admin:finance_invoice_changelist")

    refused = finance_client.post(
        url, {"action": "dispute", "index": 0, "reason": "", "_selected_action": [invoice.pk]}
    )
    invoice.refresh_from_db()
    assert refused.status_code == 302
    assert invoice.is_disputed is False

    finance_client.post(
        url, {"action": "dispute", "index": 0, "reason": "damaged", "_selected_action": [invoice.pk]}
    )
    invoice.refresh_from_db()
    assert (invoice.is_disputed, invoice.dispute_reason) == (True, "damaged")

    response = finance_client.post(
        url,
        {"action": "resolve_dispute", "index": 0, "reason": "credit note", "_selected_action": [invoice.pk]},
    )
    invoice.refresh_from_db()
    assert invoice.is_disputed is False
    assert invoice.dispute_resolved_at is not None
    assert any("done" in str(m) for m in get_messages(response.wsgi_request))


@pytest.mark.django_db
def test_reminders_show_on_the_invoice_and_the_customer_pages(finance_client):
    default_levels()
    customer = CustomerFactory()
    invoice = make_open_invoice(customer=customer, days_overdue=25)
    dunning_run()

    invoice_page = finance_client.get(
        reverse("admin:finance_invoice_change", args=[invoice.pk])
    ).content.decode()
    customer_page = finance_client.get(
        reverse("admin:crm_customer_change", args=[customer.pk])
    ).content.decode()

    assert "Firm reminder" in invoice_page
    assert "Payment reminder sent" in invoice_page
    assert "Payment reminder sent" in customer_page
    assert f"{invoice.number}: Firm reminder" in customer_page


@pytest.mark.django_db
def test_finance_sets_and_releases_a_credit_hold_with_a_reason(finance_client):
    customer = CustomerFactory()
    url = reverse("admin:crm_customer_changelist")

    finance_client.post(
        url, {"action": "set_credit_hold", "index": 0, "reason": "", "_selected_action": [customer.pk]}
    )
    customer.refresh_from_db()
    assert customer.credit_hold is False

    finance_client.post(
        url,
        {
            "action": "set_credit_hold",
            "index": 0,
            "reason": "cheque bounced",
            "_selected_action": [customer.pk],
        },
    )
    customer.refresh_from_db()
    assert (customer.credit_hold, customer.credit_hold_reason) == (True, "cheque bounced")

    finance_client.post(
        url,
        {"action": "release_credit_hold", "index": 0, "reason": "paid", "_selected_action": [customer.pk]},
    )
    customer.refresh_from_db()
    assert customer.credit_hold is False
    kinds = list(
        CustomerCreditEvent.objects.filter(customer=customer).order_by("pk").values_list("kind", flat=True)
    )
    assert kinds == [CreditEventKind.CREDIT_HOLD_SET, CreditEventKind.CREDIT_HOLD_RELEASED]


@pytest.mark.django_db
def test_order_managers_are_not_offered_the_credit_hold_actions(manager_client):
    customer = CustomerFactory()
    customer_set_credit_hold(customer_id=customer.pk, reason="overdue")

    response = manager_client.get(reverse("admin:crm_customer_changelist"))

    form = response.context["action_form"]
    actions = [value for value, _label in form.fields["action"].choices] if form else []
    assert "release_credit_hold" not in actions
    assert "set_credit_hold" not in actions
    assert Customer.objects.get(pk=customer.pk).credit_hold is True


@pytest.mark.django_db
def test_reminder_levels_must_rise_in_days_with_the_level(finance_client):
    default_levels()
    url = reverse("admin:finance_dunninglevel_add")

    refused = finance_client.post(
        url, {"level": 4, "name": "Too early", "days_overdue": 30, "tone": "final", "is_active": "on"}
    )
    accepted = finance_client.post(
        url, {"level": 4, "name": "Legal", "days_overdue": 60, "tone": "final", "is_active": "on"}
    )

    assert refused.status_code == 200
    assert "days_overdue" in refused.context["adminform"].form.errors
    assert accepted.status_code == 302
    assert list(DunningLevel.objects.values_list("level", flat=True)) == [1, 2, 3, 4]


@pytest.mark.django_db
def test_a_level_in_use_cannot_be_deleted_and_its_number_is_fixed(finance_client):
    level = default_levels()[0]
    make_open_invoice(days_overdue=10)
    dunning_run()

    page = finance_client.get(reverse("admin:finance_dunninglevel_change", args=[level.pk]))

    assert (
        finance_client.get(reverse("admin:finance_dunninglevel_delete", args=[level.pk])).status_code == 403
    )
    assert "level" not in page.context["adminform"].form.fields
    assert Invoice.objects.filter(dunning_level=1).count() == 1
