import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from crm.tests.factories import CustomerFactory
from finance.models import Invoice
from finance.services import invoice_issue, payment_record
from orders.models import Order
from orders.states import OrderStatus
from orders.tests.factories import make_order


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_payments_keep_amounts_and_exposure_exact():
    # given two invoices of 100.00 for one customer
    customer = CustomerFactory()
    invoices = []
    for _ in range(2):
        order = make_order(customer=customer, status=OrderStatus.SHIPPED)
        Order.objects.filter(pk=order.pk).update(total=Decimal("100.00"))
        invoices.append(invoice_issue(order_id=order.pk))
    barrier = threading.Barrier(6)
    errors: list[Exception] = []

    def pay(invoice_id: int) -> None:
        try:
            barrier.wait(timeout=10)
            payment_record(invoice_id=invoice_id, amount=Decimal("10.00"), received_on=timezone.localdate())
        except Exception as exc:  # collected and asserted below; a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connection.close()

    # when three payments of 10.00 hit each invoice at once
    threads = [threading.Thread(target=pay, args=(invoice.pk,)) for invoice in invoices for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # then no payment was lost and the exposure is the sum of what is still open
    assert errors == []
    assert (
        list(Invoice.objects.filter(customer=customer).values_list("amount_paid", flat=True))
        == [Decimal("30.00")] * 2
    )
    customer.refresh_from_db()
    assert customer.credit_exposure == Decimal("140.00")
