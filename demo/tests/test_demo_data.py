import io

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from demo import data
from finance.models import Invoice
from inventory.models import StockAlert, StockAlertKind, StockAlertStatus, StockTransfer
from inventory.selectors import stock_drift, stock_in_transit
from logistics.models import Shipment
from orders.models import Order, OrderApproval, ReviewRule
from orders.states import OrderStatus

S = OrderStatus
# Enough orders for every status (the first len(OrderStatus) orders take one each) and still fast.
FEW_ORDERS = len(S.values) + 2


@pytest.fixture(autouse=True)
def trial_mode(settings):
    """The demo command runs only with DEBUG on, as in `make run`."""
    settings.DEBUG = True


def _run(**options) -> str:
    out = io.StringIO()
    call_command("demo_data", stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


@pytest.mark.django_db
def test_a_second_run_creates_nothing():
    _run(size="small", orders=FEW_ORDERS)
    after_first = _row_counts()

    _run(size="small", orders=FEW_ORDERS)

    assert after_first["orders.Order"] == FEW_ORDERS
    assert _row_counts() == after_first


@pytest.mark.django_db
def test_a_larger_run_only_adds_the_missing_orders():
    _run(size="small", orders=FEW_ORDERS)
    first = set(Order.objects.values_list("external_reference", "number", "status"))

    _run(size="small", orders=FEW_ORDERS + 3)

    after = set(Order.objects.values_list("external_reference", "number", "status"))
    assert first < after
    assert len(after) == FEW_ORDERS + 3


@pytest.mark.django_db
def test_the_demo_leaves_some_stock_low_with_its_alert_raised():
    _run(size="small", orders=FEW_ORDERS)

    assert StockAlert.objects.filter(kind=StockAlertKind.LOW, status=StockAlertStatus.OPEN).exists()


@pytest.mark.django_db
def test_the_demo_reviews_orders_by_its_rules_level_by_level():
    _run(size="small", orders=FEW_ORDERS)

    names = set(ReviewRule.objects.filter(is_active=True).values_list("name", flat=True))
    assert names == {"Every order"} | {spec.name for spec in data.REVIEW_RULES}
    # an order that passed review has every step of its last round decided, none waiting
    passed = Order.objects.exclude(approved_at=None)
    assert passed.exists()
    assert not OrderApproval.objects.filter(
        order__in=passed.exclude(status=S.IN_REVIEW), status="pending"
    ).exists()
    assert OrderApproval.objects.filter(rule_name="Custom build", decided_by__username="scheduler").exists()


@pytest.mark.django_db
def test_orders_exist_in_every_status():
    _run(size="small", orders=FEW_ORDERS)

    assert set(Order.objects.values_list("status", flat=True)) == set(S.values)


@pytest.mark.django_db
def test_every_role_has_a_user_in_its_group_with_the_demo_password():
    _run(size="small", orders=0)

    users = {u.username: u for u in get_user_model().objects.prefetch_related("groups", "customers")}
    for spec in data.USERS:
        user = users[spec.username]
        assert user.check_password(data.DEMO_PASSWORD)
        assert (user.is_staff, user.is_superuser) == (spec.is_staff, spec.is_superuser)
        assert [g.name for g in user.groups.all()] == ([spec.group] if spec.group else [])
    staff_roles = {s.group for s in data.USERS if s.is_staff and s.group}
    assert staff_roles == {
        data.GROUP_ORDER_MANAGER,
        data.GROUP_SALES_DIRECTOR,
        data.GROUP_SCHEDULER,
        data.GROUP_LOGISTICS,
        data.GROUP_FINANCE,
    }
    assert sorted(c.code for c in users["dealer.qilu"].customers.all()) == ["D-JN-006", "D-QD-007"]
    assert all(users[s.username].customers.exists() for s in data.USERS if s.group == data.GROUP_DEALER)


@pytest.mark.django_db
def test_print_logins_writes_nothing_and_says_the_users_are_missing():
    before = _row_counts()

    output = _run(print_logins=True)

    assert _row_counts() == before
    assert "do not exist yet" in output
    assert all(spec.username in output for spec in data.USERS)


@pytest.mark.django_db
def test_print_logins_after_loading_lists_every_login_without_a_warning():
    _run(size="small", orders=0)
    before = _row_counts()

    output = _run(print_logins=True, base_url="http://oms.test")

    assert _row_counts() == before
    assert "do not exist yet" not in output
    assert "http://oms.test/admin/" in output
    assert "http://oms.test/portal/" in output
    assert all(spec.username in output for spec in data.USERS)


@pytest.mark.django_db
def test_history_is_backdated_and_every_timeline_runs_forward():
    started = timezone.now()
    _run(size="small", orders=FEW_ORDERS)
    # The production story ends today (a rush order re-sequenced, the delay sweep): nothing later.
    now = timezone.now()

    orders = list(Order.objects.prefetch_related("events"))
    assert min(o.created_at for o in orders) < started - timezone.timedelta(days=30)
    for order in orders:
        times = [e.created_at for e in sorted(order.events.all(), key=lambda e: e.pk)]
        assert times == sorted(times)
        assert times[0] == order.created_at
        assert times[-1] <= now
        stamps = [getattr(order, f"{s}_at") for s in S.values if s != S.DRAFT]
        assert all(order.created_at <= t <= now for t in stamps if t is not None)


@pytest.mark.django_db
def test_orders_that_left_the_warehouse_have_real_shipments_and_invoices():
    _run(size="small", orders=FEW_ORDERS)

    for order in Order.objects.filter(status__in=(S.SHIPPED, S.DELIVERED, S.COMPLETED)):
        assert all(line.quantity_shipped == line.quantity for line in order.lines.all())
        assert Shipment.objects.filter(order=order).exists()
        assert Invoice.objects.filter(order=order).exists()
    for invoice in Invoice.objects.filter(order__status=S.COMPLETED):
        assert invoice.balance == 0


@pytest.mark.django_db
@pytest.mark.parametrize("options", [{"size": "small", "orders": FEW_ORDERS}, {"print_logins": True}])
def test_refuses_to_run_with_debug_off_and_writes_nothing(settings, options):
    settings.DEBUG = False
    before = _row_counts()

    with pytest.raises(CommandError, match="DEBUG is off"):
        _run(**options)

    assert _row_counts() == before


@pytest.mark.django_db
def test_allocated_orders_hold_real_reservations_and_the_ledger_has_no_drift():
    from django.db.models import Sum  # noqa: PLC0415

    from inventory.models import StockMovement  # noqa: PLC0415
    from inventory.selectors import stock_drift  # noqa: PLC0415
    from orders.models import LineAllocation  # noqa: PLC0415

    _run(size="small", orders=FEW_ORDERS * 2)

    assert stock_drift() == []
    for order in Order.objects.filter(status__in=[S.ALLOCATED, S.READY_TO_SHIP]):
        held = sum(row.quantity_reserved for row in LineAllocation.objects.filter(order=order))
        ledger = StockMovement.objects.filter(
            document_type="orders.order", document_id=str(order.pk)
        ).aggregate(reserved=Sum("reserved_delta"))["reserved"]
        assert (
            held > 0 or not order.lines.filter(is_custom_build=False, product__made_to_order=False).exists()
        )
        assert held == (ledger or 0), order.number
        assert order.allocation_status in ("allocated", "partial")


@pytest.mark.django_db
def test_one_transfer_is_in_transit_and_one_received_and_the_ledger_agrees():
    _run(size="small", orders=FEW_ORDERS)

    transfers = StockTransfer.objects.filter(reason__in=[reason for reason, _received in data.TRANSFERS])
    assert sorted(transfers.values_list("status", flat=True)) == ["received", "shipped"]
    shipped = transfers.get(status="shipped")
    line = shipped.lines.get()
    assert stock_in_transit(product_ids=[line.product_id]) == {
        (line.product_id, shipped.to_warehouse_id): line.quantity_shipped
    }
    assert stock_drift() == []
    out = io.StringIO()
    call_command("stock_check", stdout=out, stderr=io.StringIO())


@pytest.mark.django_db
def test_the_demo_has_late_payers_with_reminders_and_a_credit_hold():
    from crm.models import Customer  # noqa: PLC0415
    from finance.models import InvoiceReminder  # noqa: PLC0415
    from finance.selectors import ageing_total  # noqa: PLC0415

    _run(size="small")

    assert Invoice.objects.filter(status="overdue").count() >= 4
    assert set(InvoiceReminder.objects.values_list("level__level", flat=True)) >= {1, 2, 3}
    assert Customer.objects.filter(credit_hold=True).count() == 1
    # the ageing shows balances past due in more than one bucket
    overall = ageing_total()
    assert sum(1 for amount in overall.buckets.values() if amount > 0) >= 3
