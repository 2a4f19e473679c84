"""One saved row of every model the admin shows, for the page-rendering loop.

The domain apps' own factories are used where they exist; the rest are small local factories.
"""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from analytics.models import DailySales
from core.models import Sequence
from crm.models import Address, Contact, Customer
from crm.tests.factories import AddressFactory, CustomerFactory, UserFactory
from finance.models import Invoice, Payment
from inventory.models import Category, Product, ProductOption, StockLevel, Warehouse
from inventory.tests.factories import (
    CategoryFactory,
    ProductFactory,
    ProductOptionFactory,
    StockLevelFactory,
    WarehouseFactory,
)
from logistics.models import Carrier, Shipment
from orders.models import Order
from orders.tests.factories import make_order
from pricing.models import CustomerPrice, ShippingRate, TierDiscount
from pricing.tests.factories import CustomerPriceFactory, ShippingRateFactory, TierDiscountFactory
from production.models import Plant, WorkOrder
from restapi.models import ApiToken, IdempotencyKey
from restapi.services import api_token_create
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = "Wang Fang"
    role = "Purchasing"
    email = "wang@example.com"


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invoice

    number = factory.Sequence(lambda n: f"INV-2026-{n:06d}")
    order = factory.LazyFunction(make_order)
    customer = factory.SelfAttribute("order.customer")
    currency = "CNY"
    subtotal = Decimal("100.00")
    tax_total = Decimal("13.00")
    total = Decimal("113.00")
    due_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=30))


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    invoice = factory.SubFactory(InvoiceFactory)
    amount = Decimal("10.00")
    received_on = factory.LazyFunction(timezone.localdate)
    reference = "BANK-1"


class PlantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plant

    code = factory.Sequence(lambda n: f"P{n:02d}")
    name = factory.Sequence(lambda n: f"Plant {n}")
    region = "Jiangsu"


class WorkOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkOrder

    number = factory.Sequence(lambda n: f"WO-2026-{n:06d}")
    order_line = factory.LazyFunction(lambda: make_order().lines.first())
    plant = factory.SubFactory(PlantFactory)
    quantity = 1


class CarrierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Carrier

    code = factory.Sequence(lambda n: f"CR{n:02d}")
    name = factory.Sequence(lambda n: f"Carrier {n}")
    tracking_url_template = "https://track.example.com/{number}"


class ShipmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shipment

    number = factory.Sequence(lambda n: f"SHP-2026-{n:06d}")
    order = factory.LazyFunction(make_order)
    carrier = factory.SubFactory(CarrierFactory)


class DailySalesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DailySales

    day = factory.LazyFunction(timezone.localdate)
    channel = "dealer_api"
    orders = 3
    revenue = Decimal("1234.50")


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    customer = factory.SubFactory(CustomerFactory)
    url = "https://dealer.example.com/hooks"


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookDelivery

    endpoint = factory.SubFactory(WebhookEndpointFactory)
    event_type = "order.approved"
    payload = factory.LazyFunction(lambda: {"type": "order.approved"})


class WebhookAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookAttempt

    delivery = factory.SubFactory(WebhookDeliveryFactory)
    response_code = 500
    duration_ms = 120


BUILDERS = {
    Sequence: lambda: Sequence.objects.create(name="order:2026", value=3),
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
    Order: make_order,
    Invoice: InvoiceFactory,
    Payment: PaymentFactory,
    TierDiscount: TierDiscountFactory,
    CustomerPrice: CustomerPriceFactory,
    ShippingRate: ShippingRateFactory,
    Plant: PlantFactory,
    WorkOrder: WorkOrderFactory,
    Carrier: CarrierFactory,
    Shipment: ShipmentFactory,
    DailySales: DailySalesFactory,
    WebhookEndpoint: WebhookEndpointFactory,
    WebhookDelivery: WebhookDeliveryFactory,
    WebhookAttempt: WebhookAttemptFactory,
}


def make_instance(model):
    """A saved row of `model`."""
    return BUILDERS[model]()
