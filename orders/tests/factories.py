from django.utils import timezone

from crm.tests.factories import AddressFactory, CustomerFactory
from inventory.models import Warehouse
from inventory.services import stock_receive
from inventory.tests.factories import ProductFactory
from orders import priority
from orders.models import Channel, Order, PriorityFactor
from orders.services import order_create
from orders.services.allocation import order_allocate
from orders.services.commitments import commitments_sync, committed_demand_rebuild
from orders.states import HOLDABLE, LIFECYCLE, OrderStatus
from pricing.services import LineRequest

S = OrderStatus
ALLOCATED_OR_BEYOND = {
    S.ALLOCATED,
    S.READY_TO_SHIP,
    S.PARTIALLY_SHIPPED,
    S.SHIPPED,
    S.DELIVERED,
    S.COMPLETED,
}


def factory_warehouse():
    warehouse, _created = Warehouse.objects.get_or_create(
        code="FAC", defaults={"name": "Factory test warehouse", "region": "Test"}
    )
    return warehouse


def stock_and_allocate(order):
    """Receive every stock line's units into the factory warehouse, then allocate the (approved)
    order through the real service; returns the order re-read."""
    warehouse = factory_warehouse()
    for line in order.lines.select_related("product"):
        if line.from_stock:
            stock_receive(product_id=line.product_id, warehouse_id=warehouse.pk, quantity=line.quantity)
    order_allocate(order_id=order.pk)
    order.refresh_from_db()
    return order


def recount_commitments() -> None:
    """After a test set-up wrote lines or statuses, or deleted orders, directly (not through a service):
    recount committed demand from the lines, as the services keep it (orders.services.commitments)."""
    committed_demand_rebuild()


def _allocate_real_stock(order) -> None:
    Order.objects.filter(pk=order.pk).update(status=S.APPROVED, approved_at=timezone.now())
    stock_and_allocate(order)


def make_order(
    *,
    customer=None,
    products=None,
    quantities=None,
    submit=True,
    channel=Channel.ADMIN,
    actor=None,
    status=None,
    held_from="",
    stock=True,
    **kwargs,
):
    """An order created through the real service (so totals, number and timeline are real).

    Lines: one per product (a new product each when `products` is omitted), one unit each unless
    `quantities` says otherwise. Submitted, or a draft with `submit=False` or `status="draft"`.

    `status` puts the order there for the test's set-up. This is a test shortcut, not a transition:
    the status is written directly, with the `<status>_at` stamps the engine would have written on the
    way (the status's own, and for `on_hold` the held-from status's too), but no timeline entry, no
    version bump and no event (committed demand is recounted, as the services would). It is needed
    because an order cannot reach the fulfilment statuses (allocated, ready to ship, shipped …)
    without the processes that own them. An order on hold must say where it was held from
    (`held_from`), as the engine records it in `status_before_hold`.

    An order set to "allocated" or beyond (or held from there) holds real stock, as allocation would
    have left it: each stock line's units are received into one warehouse ("FAC", created on first
    use) and reserved by orders.services.allocation.order_allocate. `stock=False` skips that (an
    order allocated before the stock ledger existed).
    """
    if held_from and status != OrderStatus.ON_HOLD:
        raise ValueError("held_from is only for an order on hold")
    if status == OrderStatus.ON_HOLD and held_from not in HOLDABLE:
        raise ValueError(f"an order on hold needs held_from, one of {sorted(HOLDABLE)}")
    if status is not None and status not in OrderStatus.values:
        raise ValueError(f"{status!r} is not an order status")
    customer = customer or CustomerFactory()
    if not customer.addresses.exists():
        AddressFactory(customer=customer)
    if quantities is None:
        products = products or [ProductFactory()]
        quantities = [1] * len(products)
    products = products or [ProductFactory() for _ in quantities]
    lines = [LineRequest(sku=p.sku, quantity=q) for p, q in zip(products, quantities, strict=True)]
    order = order_create(
        customer=customer,
        channel=channel,
        lines=lines,
        submit=submit and status != OrderStatus.DRAFT,
        actor=actor,
        **kwargs,
    )
    if status is None or status == order.status:
        return order
    if stock and ({status, held_from} & ALLOCATED_OR_BEYOND):
        _allocate_real_stock(order)
    now = timezone.now()
    changes = {"status": status}
    for reached in (held_from, status):
        stamp = LIFECYCLE.stamps.get(reached)
        if stamp:
            changes[stamp] = now
    if held_from:
        changes["status_before_hold"] = held_from
    Order.objects.filter(pk=order.pk).update(**changes)
    commitments_sync(order_ids=[order.pk])
    order.refresh_from_db()
    return order


def priority_factors() -> dict[str, PriorityFactor]:
    """The priority factor rows, by code: migration 0005's (re-created with its defaults when a
    transactional test flushed the table)."""
    for position, code in enumerate(priority.FACTOR_ORDER):
        PriorityFactor.objects.get_or_create(
            code=code,
            defaults={
                "position": position,
                "weight": priority.DEFAULT_FACTORS[code]["weight"],
                "parameters": priority.DEFAULT_FACTORS[code]["parameters"],
            },
        )
    return {f.code: f for f in PriorityFactor.objects.all()}
