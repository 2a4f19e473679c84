from crm.tests.factories import AddressFactory, CustomerFactory
from inventory.tests.factories import ProductFactory
from orders.models import Channel
from orders.services import order_create
from pricing.services import LineRequest


def make_order(
    *, customer=None, products=None, quantities=None, submit=True, channel=Channel.ADMIN, actor=None, **kwargs
):
    """Create an order through the real service (so totals, number and timeline are real)."""
    customer = customer or CustomerFactory()
    if not customer.addresses.exists():
        AddressFactory(customer=customer)
    products = products or [ProductFactory()]
    quantities = quantities or [1] * len(products)
    lines = [LineRequest(sku=p.sku, quantity=q) for p, q in zip(products, quantities, strict=True)]
    return order_create(customer=customer, channel=channel, lines=lines, submit=submit, actor=actor, **kwargs)
