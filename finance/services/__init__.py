"""Writes for finance: invoices from issue to payment (invoices), the customers' credit positions
(credit), disputes and collections (disputes, dunning).

Every public service owns its transaction; status changes go through the lifecycle engine.
"""

from finance.services.credit import (
    ORDERS_COUNTED,
    credit_position_refresh,
    credit_positions_compute,
    credit_positions_repair,
    order_credit_refresh,
)
from finance.services.disputes import invoice_dispute, invoice_dispute_resolve
from finance.services.dunning import dunning_credit_holds, dunning_levels, dunning_run
from finance.services.invoices import (
    INVOICEABLE_ORDER_STATUSES,
    invoice_issue,
    invoice_mark_overdue,
    invoice_mark_overdue_due,
    invoice_void,
    payment_record,
)

__all__ = [
    "INVOICEABLE_ORDER_STATUSES",
    "ORDERS_COUNTED",
    "credit_position_refresh",
    "credit_positions_compute",
    "credit_positions_repair",
    "dunning_credit_holds",
    "dunning_levels",
    "dunning_run",
    "invoice_dispute",
    "invoice_dispute_resolve",
    "invoice_issue",
    "invoice_mark_overdue",
    "invoice_mark_overdue_due",
    "invoice_void",
    "order_credit_refresh",
    "payment_record",
]
