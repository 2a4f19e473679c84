"""One saved row of every model the admin shows, for the page-rendering loop.

The rows come from each app's own factories (`<app>/tests/factories.py`); what is left here is the
admin's own need: a builder per model, and the rows that have no factory.
"""

from django.contrib.auth import get_user_model

from analytics.models import DailySales
from analytics.tests.factories import DailySalesFactory
from core.models import Notification, OutboxEvent, Sequence
from crm.models import Address, Contact, Customer
from crm.tests.factories import AddressFactory, ContactFactory, CustomerFactory, UserFactory
from finance.models import DunningLevel, Invoice, InvoiceReminder, Payment, ReceivablesAgeing
from finance.tests.factories import InvoiceFactory, PaymentFactory, default_levels, make_reminder
from inventory.models import (
    Category,
    ExpectedReceipt,
    Product,
    ProductOption,
    StockAlert,
    StockLevel,
    StockMovement,
    StockTransfer,
    Warehouse,
    WarehouseShippingCost,
)
from inventory.services import stock_alerts_evaluate
from inventory.tests.factories import (
    CategoryFactory,
    ProductFactory,
    ProductOptionFactory,
    StockLevelFactory,
    WarehouseFactory,
    make_expected_receipt,
    make_transfer,
)
from logistics.models import Carrier, Shipment
from logistics.tests.factories import CarrierFactory, ShipmentFactory
from orders.models import Order, OrderApproval, PriorityFactor, ReviewRule
from orders.services import order_review_open
from orders.tests.factories import make_order, priority_factors
from pricing.models import CustomerPrice, ShippingRate, TierDiscount
from pricing.tests.factories import CustomerPriceFactory, ShippingRateFactory, TierDiscountFactory
from production.models import (
    BomLine,
    Plant,
    ProductFamily,
    ProductionBatch,
    SerialNumber,
    ShopFloorDevice,
    ShopFloorEvent,
    WorkOrder,
)
from production.tests.factories import WorkOrderFactory, make_production_setup
from restapi.models import ApiToken, IdempotencyKey
from restapi.services import api_token_create
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.tests.factories import WebhookAttemptFactory, WebhookDeliveryFactory, WebhookEndpointFactory


def _stock_alert() -> StockAlert:
    level = StockLevelFactory(on_hand=1, reorder_point=5)
    stock_alerts_evaluate()
    return StockAlert.objects.get(product=level.product, warehouse=level.warehouse)


def _notification() -> Notification:
    """A notice of the signed-in manager's own (staff see only theirs), whose e-mail failed."""
    user = get_user_model().objects.filter(username="manager").first() or UserFactory(is_staff=True)
    return Notification.objects.create(
        key="order.approved:1",
        kind="order.approved",
        recipient=f"user:{user.pk}",
        user=user,
        email=user.email,
        context={"order_number": "SO-1"},
        language="en",
        mail_status="failed",
        mail_attempts=6,
        mail_error="SMTPRecipientsRefused: 550",
    )


BUILDERS = {
    Sequence: lambda: Sequence.objects.create(name="order:2026", value=3),
    OutboxEvent: lambda: OutboxEvent.objects.create(
        name="order.approved",
        payload={"order_id": 1},
        aggregate_type="order",
        aggregate_id="1",
        attempts=2,
        last_error="OperationalError: broker unreachable",
    ),
    Notification: _notification,
    # A token exists only through its service: the plain key is never stored.
    ApiToken: lambda: api_token_create(user=UserFactory(), name="ERP")[0],
    IdempotencyKey: lambda: IdempotencyKey.objects.create(
        scope="dealer:1", key="k-1", request_hash="0" * 64, response_status=201, response_body={"ok": True}
    ),
    Customer: CustomerFactory,
    Contact: ContactFactory,
    Address: AddressFactory,
    Category: CategoryFactory,
    Product: ProductFactory,
    ProductOption: ProductOptionFactory,
    Warehouse: WarehouseFactory,
    StockLevel: StockLevelFactory,
    # The ledger is written by services only; a factory row's opening movement stands in.
    StockMovement: lambda: StockMovement.objects.filter(product=StockLevelFactory().product).first(),
    StockTransfer: make_transfer,
    # Alerts are raised by the evaluation only: a row below its threshold, evaluated.
    StockAlert: _stock_alert,
    ExpectedReceipt: make_expected_receipt,
    WarehouseShippingCost: lambda: WarehouseShippingCost.objects.create(
        warehouse=WarehouseFactory(), region="Guangdong", per_shipment="30.00", per_unit="1.50"
    ),
    Order: make_order,
    PriorityFactor: lambda: priority_factors()["urgency"],
    # The default rule of every install (migration orders 0004); approvals come from opening a review.
    ReviewRule: lambda: ReviewRule.objects.get(name="Every order"),
    OrderApproval: lambda: order_review_open(order_id=make_order().pk).approvals.get(),
    Invoice: InvoiceFactory,
    Payment: PaymentFactory,
    DunningLevel: lambda: default_levels()[0],
    InvoiceReminder: make_reminder,
    ReceivablesAgeing: lambda: ReceivablesAgeing.objects.get(pk=InvoiceFactory().pk),
    TierDiscount: TierDiscountFactory,
    CustomerPrice: CustomerPriceFactory,
    ShippingRate: ShippingRateFactory,
    # A plant with a line and a calendar day, so its inlines render rows.
    Plant: lambda: make_production_setup()[1],
    ProductFamily: lambda: make_production_setup()[0],
    WorkOrder: WorkOrderFactory,
    BomLine: lambda: BomLine.objects.create(
        product=ProductFactory(made_to_order=True), component=ProductFactory(), quantity="2.000"
    ),
    # Batches and serials come from completing a build (production.services.completion).
    ProductionBatch: lambda: _completed_batch(),
    SerialNumber: lambda: _completed_batch(tracking="serial").serials.first(),
    ShopFloorDevice: lambda: _device()[0],
    # The event log is written by a terminal's report only (production.services.devices).
    ShopFloorEvent: lambda: _shop_floor_event(),
    Carrier: CarrierFactory,
    Shipment: ShipmentFactory,
    DailySales: DailySalesFactory,
    WebhookEndpoint: WebhookEndpointFactory,
    WebhookDelivery: WebhookDeliveryFactory,
    WebhookAttempt: WebhookAttemptFactory,
}


def _completed_batch(*, tracking: str = "batch"):
    from production.services.completion import work_order_complete  # noqa: PLC0415
    from production.tests.factories_mat import (  # noqa: PLC0415
        make_built_product,
        make_family,
        make_plant,
        make_work_order,
    )

    product = make_built_product(family=make_family(tracking=tracking))
    work_order = make_work_order(plant=make_plant(), product=product, status="in_progress")
    work_order_complete(work_order_id=work_order.pk)
    return work_order.batches.get()


def _device():
    from production.tests.factories_floor import make_device  # noqa: PLC0415

    return make_device()


def _shop_floor_event():
    from django.utils import timezone  # noqa: PLC0415

    from production.services.devices import shop_floor_event_record  # noqa: PLC0415
    from production.tests.factories_floor import make_work_order  # noqa: PLC0415

    device, _token = _device()
    work_order = make_work_order(plant=device.plant)
    shop_floor_event_record(
        device=device,
        event_id="evt-1",
        work_order_number=work_order.number,
        stage_code="welding",
        action="start",
        occurred_at=timezone.now(),
    )
    return device.events.get()


def make_instance(model):
    """A saved row of `model`."""
    return BUILDERS[model]()
