from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Changes that move an order's priority: its tier-independent inputs (lines → total, dates, address).
RESCORING_FIELDS = frozenset({"lines", "requested_delivery_date", "shipping_address"})


def enqueue_priority_scoring(name: str, *, event_id: str, order_id: int, **payload) -> None:
    """Domain event listener: queue the order's priority scoring, nothing else (STYLE.md §2)."""
    from orders.tasks import order_score_priority_task  # noqa: PLC0415  (tasks import the app's models)

    if name == "order.updated" and not RESCORING_FIELDS & set(payload.get("fields", ())):
        return
    order_score_priority_task.delay(order_id=order_id, event_id=event_id)


def enqueue_priority_rescoring(name: str, *, event_id: str, **payload) -> None:
    """The priority weights changed (orders.services.priority_factor_update): queue the rescoring sweep
    of open orders, which runs in bounded batches outside the admin's request."""
    from orders.tasks import order_rescore_open_task  # noqa: PLC0415

    order_rescore_open_task.delay(event_id=event_id)


def enqueue_allocation(name: str, *, event_id: str, order_id: int, **payload) -> None:
    """Approved (or resumed to approved): queue its stock allocation."""
    from orders.tasks import order_allocate_task  # noqa: PLC0415

    if name == "order.released" and payload.get("status") != "approved":
        return
    order_allocate_task.delay(order_id=order_id, event_id=event_id)


def enqueue_release(name: str, *, event_id: str, order_id: int, **payload) -> None:
    """Cancelled, rejected or sent back for changes: queue the release of whatever stock it still holds."""
    from orders.tasks import order_release_stock_task  # noqa: PLC0415

    order_release_stock_task.delay(order_id=order_id, event_id=event_id)


def enqueue_backorder_retry(name: str, *, event_id: str, product_ids=(), **payload) -> None:
    """Stock became available somewhere: queue a retry of the backorders on those products."""
    from orders.tasks import order_backorders_retry_task  # noqa: PLC0415

    order_backorders_retry_task.delay(product_ids=list(product_ids), event_id=event_id)


def enqueue_submitted(name: str, *, event_id: str, order_id: int, **payload) -> None:
    """Submitted (created so by intake, or a draft submitted): queue its scoring and the opening of its
    review, in one message (order_submitted_task)."""
    from orders.tasks import order_submitted_task  # noqa: PLC0415

    order_submitted_task.delay(order_id=order_id, event_id=event_id)


def enqueue_review_open(name: str, *, event_id: str, order_id: int, **payload) -> None:
    """Resumed to submitted (`order.released`): queue the opening of its review."""
    from orders.tasks import order_review_open_task  # noqa: PLC0415

    if payload.get("status") != "submitted":
        return
    order_review_open_task.delay(order_id=order_id, event_id=event_id)


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self):
        from core import events  # noqa: PLC0415  (models are loaded only now)

        # The score depends on the customer's tier, the total and the requested date, not on the status:
        # an order is scored when it is created (as a draft or submitted; a reopened draft too) and when
        # an edit touches its inputs. The 15-minute sweep rescores open orders as dates come closer
        # (and after a tier change). Status changes publish no scoring task (an allocation backlog of
        # 10,000 orders would queue 10,000 no-ops). A change of the weights (admin) queues that sweep at once.
        for name in ("order.draft", "order.updated"):
            events.subscribe(name, enqueue_priority_scoring)
        events.subscribe("priority_factor.changed", enqueue_priority_rescoring)
        # Orders created submitted (the dealer API, the portal, the admin) are scored and have their review
        # rules evaluated by a worker, one message for both; order_submit evaluates the rules in its own
        # transaction, and approving a submitted order opens its review first: that part is then a no-op.
        events.subscribe("order.submitted", enqueue_submitted)
        events.subscribe("order.released", enqueue_review_open)
        events.subscribe("order.approved", enqueue_allocation)
        events.subscribe("order.released", enqueue_allocation)
        # A rejection or a request for changes can come after a change sent an allocated order back to
        # review: its reservations go back to stock then, as on cancel.
        for name in ("order.cancelled", "order.rejected", "order.changes_requested"):
            events.subscribe(name, enqueue_release)
        events.subscribe("stock.replenished", enqueue_backorder_retry)
