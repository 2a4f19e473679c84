"""Row locks for logistics.

Lock order: a shipment before its order (dispatch and delivery report to the order while holding
the shipment); creating a shipment locks only the order.
"""

from core.errors import NotFound
from logistics.models import Shipment
from orders.models import Order


def shipment_for_update(shipment_id: int) -> Shipment:
    shipment = Shipment.objects.select_for_update().filter(pk=shipment_id).first()
    if shipment is None:
        raise NotFound()
    return shipment


def order_for_update(order_id: int) -> Order:
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise NotFound()
    return order
