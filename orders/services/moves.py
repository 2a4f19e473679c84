"""The one call every order service makes to change a status: the lifecycle engine with the order's table.

Its own module so that the services of the lifecycle, review, allocation and fulfilment can all use it
without importing each other.
"""

from core.lifecycle import transition
from orders.models import Order
from orders.states import LIFECYCLE


def _move(
    order_id: int,
    to: str,
    *,
    actor=None,
    reason: str = "",
    data: dict | None = None,
    expected_version: int | None = None,
    changes: dict | None = None,
    locked: Order | None = None,
) -> tuple[Order, bool]:
    """The engine's transition for orders (see core.lifecycle.transition).

    Follow-up work (priority scoring, webhooks) listens to the event the engine emits (orders.apps).
    """
    return transition(
        LIFECYCLE,
        order_id,
        to,
        actor=actor,
        reason=reason,
        data=data,
        expected_version=expected_version,
        changes=changes,
        locked=locked,
    )
