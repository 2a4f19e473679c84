"""The lifecycle engine (core.lifecycle) on the three documents that use it: orders, invoices, shipments."""

import datetime as dt

import pytest
from django.utils import timezone

from core.errors import ConcurrentModification, InvalidTransition, NotFound
from core.lifecycle import transition
from crm.tests.factories import UserFactory
from finance import states as invoice_states
from finance.models import Invoice, InvoiceEvent
from finance.services import invoice_issue, payment_record
from finance.states import InvoiceStatus
from inventory import states as transfer_states
from logistics import states as shipment_states
from logistics.models import Shipment, ShipmentEvent
from logistics.services import shipment_create
from logistics.states import ShipmentStatus
from orders import states as order_states
from orders.models import OrderEvent
from orders.states import OrderStatus
from orders.tests.factories import make_order
from production import states as work_order_states

S, INV, H = OrderStatus, InvoiceStatus, ShipmentStatus
LIFECYCLES = [
    order_states.LIFECYCLE,
    invoice_states.LIFECYCLE,
    shipment_states.LIFECYCLE,
    transfer_states.LIFECYCLE,
]


def _invoice() -> Invoice:
    return invoice_issue(order_id=make_order(status=S.SHIPPED).pk)


def _shipment() -> Shipment:
    return shipment_create(order_id=make_order(status=S.READY_TO_SHIP).pk)


@pytest.mark.django_db
def test_asking_for_the_current_status_writes_and_announces_nothing(
    emitted, django_capture_on_commit_callbacks
):
    order = make_order(status=S.APPROVED)
    events_before = order.events.count()

    with django_capture_on_commit_callbacks(execute=True):
        result, changed = transition(order_states.LIFECYCLE, order.pk, S.APPROVED)

    assert (result.status, changed) == (S.APPROVED, False)
    order.refresh_from_db()
    assert (order.version, order.events.count(), emitted) == (result.version, events_before, [])


@pytest.mark.django_db
def test_a_stale_version_is_refused_and_nothing_is_written(emitted, django_capture_on_commit_callbacks):
    order = make_order(status=S.SUBMITTED)
    events_before = order.events.count()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ConcurrentModification) as refused:
        transition(order_states.LIFECYCLE, order.pk, S.APPROVED, expected_version=order.version - 1)

    assert refused.value.extra == {"current_version": order.version}
    order.refresh_from_db()
    assert (order.status, order.events.count(), emitted) == (S.SUBMITTED, events_before, [])


@pytest.mark.django_db
def test_the_current_version_is_accepted_and_bumped():
    order = make_order(status=S.SUBMITTED)

    result, _changed = transition(
        order_states.LIFECYCLE, order.pk, S.APPROVED, expected_version=order.version
    )

    assert result.version == order.version + 1


@pytest.mark.django_db
@pytest.mark.parametrize("lifecycle", LIFECYCLES, ids=lambda lc: lc.document)
def test_a_missing_document_is_not_found(lifecycle):
    with pytest.raises(NotFound):
        transition(lifecycle, 987654321, next(iter(lifecycle.statuses.values)))


@pytest.mark.django_db
def test_a_move_writes_its_timeline_entry_and_announces_it(emitted, django_capture_on_commit_callbacks):
    order = make_order(status=S.SUBMITTED)
    actor = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        transition(
            order_states.LIFECYCLE, order.pk, S.ON_HOLD, actor=actor, reason="credit check", data={"a": 1}
        )

    event = OrderEvent.objects.filter(order=order).order_by("-id").first()
    assert (event.kind, event.from_status, event.to_status) == ("order.on_hold", S.SUBMITTED, S.ON_HOLD)
    assert (event.actor, event.note, event.data) == (actor, "credit check", {"a": 1})
    assert emitted == [
        (
            "order.on_hold",
            {
                "order_id": order.pk,
                "number": order.number,
                "customer_id": order.customer_id,
                "status": S.ON_HOLD,
            },
        )
    ]


@pytest.mark.django_db
def test_a_refused_move_names_the_document_and_writes_and_announces_nothing(
    emitted, django_capture_on_commit_callbacks
):
    order = make_order(status=S.SHIPPED)
    events_before = order.events.count()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(InvalidTransition) as refused:
        transition(order_states.LIFECYCLE, order.pk, S.CANCELLED, reason="too late")

    assert refused.value.code == "invalid_transition"
    assert refused.value.status == 409
    assert str(refused.value.message) == f"Order {order.number} cannot go from “Shipped” to “Cancelled”."
    order.refresh_from_db()
    assert (order.status, order.events.count(), emitted) == (S.SHIPPED, events_before, [])


@pytest.mark.django_db
def test_invoice_and_shipment_refusals_name_their_document():
    invoice, shipment = _invoice(), _shipment()

    with pytest.raises(InvalidTransition) as invoice_refused:
        transition(invoice_states.LIFECYCLE, invoice.pk, INV.DRAFT)
    with pytest.raises(InvalidTransition) as shipment_refused:
        transition(shipment_states.LIFECYCLE, shipment.pk, H.DELIVERED)

    assert (
        str(invoice_refused.value.message) == f"Invoice {invoice.number} cannot go from “Issued” to “Draft”."
    )
    assert str(shipment_refused.value.message) == (
        f"Shipment {shipment.number} cannot go from “Pending” to “Delivered”."
    )
    assert shipment_refused.value.extra == {
        "shipment": shipment.number,
        "status": H.PENDING,
        "target": H.DELIVERED,
    }


@pytest.mark.django_db
def test_an_order_is_stamped_each_time_a_status_is_reached_but_not_on_a_resume():
    order = make_order(status=S.APPROVED)
    lifecycle = order_states.LIFECYCLE
    first_hold = transition(lifecycle, order.pk, S.ON_HOLD)[0].on_hold_at
    resumed = transition(lifecycle, order.pk, S.APPROVED)[0]
    second_hold = transition(lifecycle, order.pk, S.ON_HOLD)[0].on_hold_at

    assert resumed.approved_at == order.approved_at  # a resume keeps the first approval's stamp
    assert resumed.status_before_hold == ""
    assert second_hold > first_hold
    assert OrderEvent.objects.filter(order=order, kind="order.released").count() == 1


@pytest.mark.django_db
def test_an_invoice_keeps_its_first_stamp():
    invoice = _invoice()
    Invoice.objects.filter(pk=invoice.pk).update(due_date=timezone.localdate() - dt.timedelta(days=1))
    lifecycle = invoice_states.LIFECYCLE
    overdue_at = transition(lifecycle, invoice.pk, INV.OVERDUE)[0].overdue_at
    payment_record(invoice_id=invoice.pk, amount=invoice.total / 2, received_on=timezone.localdate())
    invoice.refresh_from_db()
    Invoice.objects.filter(pk=invoice.pk).update(status=INV.ISSUED)

    again = transition(lifecycle, invoice.pk, INV.OVERDUE)[0]

    assert again.overdue_at == overdue_at
    assert InvoiceEvent.objects.filter(invoice=invoice, kind="invoice.overdue").count() == 2


@pytest.mark.django_db
def test_a_shipment_keeps_its_dispatch_time_and_takes_the_changes_of_the_move(
    emitted, django_capture_on_commit_callbacks
):
    shipment = _shipment()
    lifecycle = shipment_states.LIFECYCLE
    transition(lifecycle, shipment.pk, H.PACKED)
    with django_capture_on_commit_callbacks(execute=True):
        dispatched = transition(lifecycle, shipment.pk, H.IN_TRANSIT, changes={"tracking_number": "SF9"})[0]
    transition(lifecycle, shipment.pk, H.EXCEPTION)

    resumed = transition(lifecycle, shipment.pk, H.IN_TRANSIT)[0]

    assert (resumed.tracking_number, resumed.shipped_at) == ("SF9", dispatched.shipped_at)
    assert [name for name, _payload in emitted] == ["shipment.dispatched"]
    assert list(
        ShipmentEvent.objects.filter(shipment=shipment).order_by("id").values_list("kind", flat=True)
    ) == [
        "shipment.created",
        "shipment.packed",
        "shipment.dispatched",
        "shipment.exception",
        "shipment.in_transit",
    ]


@pytest.mark.parametrize("lifecycle", [*LIFECYCLES, work_order_states.LIFECYCLE], ids=lambda lc: lc.document)
def test_every_move_of_a_table_has_a_declared_kind_and_permission(lifecycle):
    for current, targets in lifecycle.allowed.items():
        for target in targets:
            assert lifecycle.kind_of(current, target) in lifecycle.kinds.values, (current, target)
            assert "." in lifecycle.permission(target)


@pytest.mark.django_db
def test_the_timeline_shows_labels_and_falls_back_to_the_code():
    order = make_order()

    labels = [event.kind_label for event in order.events.order_by("id")]
    unknown = OrderEvent.record(order=order, kind="order.noted")

    assert labels == ["Created", "Submitted"]
    assert unknown.kind_label == "order.noted"


@pytest.mark.django_db
def test_an_unknown_status_is_a_programming_error_and_writes_nothing():
    order = make_order(status=S.SUBMITTED)

    with pytest.raises(ValueError, match="not a status of order"):
        transition(order_states.LIFECYCLE, order.pk, "teleported")

    order.refresh_from_db()
    assert order.status == S.SUBMITTED
