"""Row locks for finance.

Lock order: order (issuing) or invoice (payments, overdue, void, disputes, reminders) first, the
customer last — the customer row is the mutex under which its credit position is summed and written.
"""

from core.errors import NotFound
from crm.models import Customer
from finance.models import Invoice
from orders.models import Order


def invoice_for_update(invoice_id: int) -> Invoice:
    invoice = Invoice.objects.select_for_update().filter(pk=invoice_id).first()
    if invoice is None:
        raise NotFound()
    return invoice


def order_for_update(order_id: int) -> Order:
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise NotFound()
    return order


def customer_for_update(customer_id: int) -> Customer:
    # FOR NO KEY UPDATE: rows being inserted for this customer (orders, reminders: their foreign key
    # takes a KEY SHARE lock) do not wait for a refresh; two refreshes still queue.
    customer = Customer.objects.select_for_update(no_key=True).filter(pk=customer_id).first()
    if customer is None:
        raise NotFound()
    return customer
