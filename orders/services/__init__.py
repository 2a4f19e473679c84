"""Writes for orders: intake, the lifecycle state machine and its timeline, fulfilment facts, priority.

Every public service owns its transaction; follow-up work starts from the domain events it emits into
the outbox in that transaction (core.events), so nothing leaves the database for a change that was
rolled back, and nothing is lost for one that committed.
"""

from orders.services.allocation import (
    order_allocate,
    order_allocate_now,
    order_allocation_release,
    order_backorders_retry,
)
from orders.services.changes import UNSET, LineChange, LineChangeKind, order_change, order_update
from orders.services.fulfilment import order_record_delivered, order_record_shipped_quantities
from orders.services.intake import (
    ADDRESS_FIELDS,
    ADDRESS_REQUIRED,
    Quote,
    order_create,
    order_quote,
    order_quote_request,
)
from orders.services.lifecycle import (
    order_cancel,
    order_hold,
    order_release_hold,
    order_reopen,
    order_start_review,
    order_transition,
)
from orders.services.priority import (
    order_rescore_open,
    order_score_priority,
    order_set_promotion,
    orders_score,
    priority_factor_update,
)
from orders.services.production import (
    order_line_production_update,
    order_line_receive_built,
    order_production_started,
)
from orders.services.review import (
    order_approve,
    order_reject,
    order_request_changes,
    order_review_open,
    order_review_rerun,
    order_submit,
    review_rule_save,
    review_rule_validate,
)

__all__ = [
    "order_line_production_update",
    "order_line_receive_built",
    "order_production_started",
    "order_allocate",
    "order_allocate_now",
    "order_allocation_release",
    "order_backorders_retry",
    "ADDRESS_FIELDS",
    "ADDRESS_REQUIRED",
    "LineChange",
    "LineChangeKind",
    "Quote",
    "UNSET",
    "order_approve",
    "order_cancel",
    "order_change",
    "order_create",
    "order_hold",
    "order_rescore_open",
    "order_quote",
    "order_quote_request",
    "order_record_delivered",
    "order_record_shipped_quantities",
    "order_reject",
    "order_request_changes",
    "order_review_open",
    "order_review_rerun",
    "order_release_hold",
    "order_reopen",
    "order_score_priority",
    "order_set_promotion",
    "orders_score",
    "priority_factor_update",
    "order_start_review",
    "order_submit",
    "order_transition",
    "order_update",
    "review_rule_save",
    "review_rule_validate",
]
