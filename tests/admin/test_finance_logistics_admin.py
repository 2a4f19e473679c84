"""Invoices, payments and shipments in the admin: every write is a finance or logistics service call."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from finance.models import Invoice, Payment
from finance.tests.factories import InvoiceFactory
from logistics.models import Shipment
from logistics.tests.factories import ShipmentFactory
from tests.admin.conftest import staff_in


@pytest.fixture
def finance_client(roles, client):
    client.force_login(staff_in("Finance", username="finance"))
    return client


def _issued_invoice() -> Invoice:
    invoice = InvoiceFactory()
    Invoice.objects.filter(pk=invoice.pk).update(status="issued", issued_at=timezone.now())
    invoice.refresh_from_db()
    return invoice


def _payment_data(invoice, amount: str) -> dict:
    return {
        "invoice": invoice.pk,
        "amount": amount,
        "received_on": timezone.localdate().isoformat(),
        "reference": "BANK-7",
    }


@pytest.mark.django_db
def test_payment_added_in_the_admin_is_recorded_by_the_service(finance_client):
    invoice = _issued_invoice()

    response = finance_client.post(reverse("admin:finance_payment_add"), _payment_data(invoice, "13.00"))

    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("13.00")
    assert invoice.status == "partially_paid"
    assert invoice.events.filter(kind="invoice.payment_recorded").exists()


@pytest.mark.django_db
def test_payment_above_the_balance_is_shown_on_the_amount_and_nothing_is_written(finance_client):
    invoice = _issued_invoice()

    response = finance_client.post(reverse("admin:finance_payment_add"), _payment_data(invoice, "500.00"))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["amount"] == [
        f"The open balance is only {invoice.balance}."
    ]
    invoice.refresh_from_db()
    assert Payment.objects.count() == 0
    assert invoice.amount_paid == 0


@pytest.mark.django_db
def test_invoice_actions_are_offered_to_finance_not_to_order_managers(roles, manager):
    finance = staff_in("Finance", username="finance")
    invoice_admin = admin.site.get_model_admin(Invoice)

    def offered(user):
        request = RequestFactory().get("/")
        request.user = user
        return set(invoice_admin.get_actions(request))

    assert offered(finance) == {"mark_overdue", "void", "dispute", "resolve_dispute"}
    assert offered(manager) == set()


@pytest.mark.django_db
def test_shipment_cancel_without_a_reason_is_refused_and_with_one_goes_through_the_service(roles, client):
    shipment = ShipmentFactory()
    client.force_login(staff_in("Logistics specialist", username="shipper"))
    url = reverse("admin:logistics_shipment_changelist")

    refused = client.post(
        url, {"action": "cancel", "index": 0, "reason": "", "_selected_action": [shipment.pk]}
    )
    shipment.refresh_from_db()
    status_after_refusal = shipment.status
    client.post(
        url, {"action": "cancel", "index": 0, "reason": "Wrong warehouse", "_selected_action": [shipment.pk]}
    )

    shipment.refresh_from_db()
    assert status_after_refusal == "pending"
    assert "needs a reason" in [str(m) for m in get_messages(refused.wsgi_request)][0]
    assert shipment.status == "cancelled"
    assert shipment.events.get(kind="shipment.cancelled").note == "Wrong warehouse"


@pytest.mark.django_db
def test_shipment_refused_by_its_lifecycle_reports_the_error(roles, client):
    shipment = ShipmentFactory()
    Shipment.objects.filter(pk=shipment.pk).update(status="delivered")
    client.force_login(staff_in("Logistics specialist", username="shipper"))

    response = client.post(
        reverse("admin:logistics_shipment_changelist"),
        {"action": "pack", "index": 0, "_selected_action": [shipment.pk]},
    )

    shipment.refresh_from_db()
    assert shipment.status == "delivered"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"Shipment {shipment.number} cannot go from “Delivered” to “Packed”."
    ]


@pytest.mark.django_db
def test_a_refused_dispatch_names_the_field_by_its_label(roles, client):
    """Fails on main: the message read “tracking_number: This field is required.”."""
    shipment = ShipmentFactory()
    Shipment.objects.filter(pk=shipment.pk).update(status="packed")
    client.force_login(staff_in("Logistics specialist", username="shipper"))

    response = client.post(
        reverse("admin:logistics_shipment_changelist"),
        {"action": "dispatch", "index": 0, "tracking_number": " ", "_selected_action": [shipment.pk]},
    )

    shipment.refresh_from_db()
    assert (shipment.status, shipment.tracking_number) == ("packed", "")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"{shipment.number}: Some fields are not valid. Tracking number: This field is required."
    ]


@pytest.mark.django_db
def test_field_paths_without_a_form_field_are_named_by_the_model_fields_label():
    shipment_admin = admin.site.get_model_admin(Shipment)

    assert shipment_admin.domain_error_label("carrier_id") == "Carrier"
    assert shipment_admin.domain_error_label("reason") == "Reason"
    assert shipment_admin.domain_error_label("lines[2].sku") == "lines[2].sku"


@pytest.mark.django_db
def test_bulk_void_skips_invoices_already_void(finance_client):
    issued, void = _issued_invoice(), _issued_invoice()
    Invoice.objects.filter(pk=void.pk).update(status="void")
    events_before = void.events.count()

    response = finance_client.post(
        reverse("admin:finance_invoice_changelist"),
        {"action": "void", "index": 0, "reason": "Duplicate", "_selected_action": [issued.pk, void.pk]},
    )

    issued.refresh_from_db()
    assert issued.status == "void"
    assert void.events.count() == events_before
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"Void: 1 done ({issued.number}).",
        f"Void: 1 skipped, already “Void” ({void.number}).",
    ]
