"""The stock-transfer lifecycle: the status enum, the one table of allowed moves, the permission each
move needs and the timeline kinds, declared as `LIFECYCLE` for the engine (core.lifecycle)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.lifecycle import Lifecycle


class TransferStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    SHIPPED = "shipped", _("In transit")
    RECEIVED = "received", _("Received")
    CANCELLED = "cancelled", _("Cancelled")


class TransferEventKind(models.TextChoices):
    """What a transfer's timeline entry records; a status change's kind is also its domain event's name."""

    REQUESTED = "transfer.requested", pgettext_lazy("timeline", "Requested")
    LINES_CHANGED = "transfer.lines_changed", _("Lines changed")
    SHIPPED = "transfer.shipped", _("Shipped")
    RECEIVED = "transfer.received", _("Received")
    CANCELLED = "transfer.cancelled", _("Cancelled")


T = TransferStatus
# A transfer is cancelled only before it ships: once the goods left the source they must arrive (a
# loss on the way is recorded when receiving, as a write-off at the destination).
ALLOWED: dict[str, set[str]] = {
    T.REQUESTED: {T.SHIPPED, T.CANCELLED},
    T.SHIPPED: {T.RECEIVED},
    T.RECEIVED: set(),
    T.CANCELLED: set(),
}
# Lines may be changed only while nothing has moved.
EDITABLE = frozenset({T.REQUESTED})

# The permission a user needs to move a transfer *to* a status (requesting is adding one).
TRANSITION_PERMISSION: dict[str, str] = {
    T.REQUESTED: "inventory.add_stocktransfer",
    T.SHIPPED: "inventory.ship_stocktransfer",
    T.RECEIVED: "inventory.receive_stocktransfer",
    T.CANCELLED: "inventory.change_stocktransfer",
}


def can_edit(current: str) -> bool:
    return current in EDITABLE


def _payload(transfer) -> dict:
    # The product ids and both warehouses: a listener (orders' backorders) retries what the
    # destination can now serve after `transfer.received`, without reading the transfer again.
    return {
        "transfer_id": transfer.pk,
        "number": transfer.number,
        "status": transfer.status,
        "from_warehouse_id": transfer.from_warehouse_id,
        "to_warehouse_id": transfer.to_warehouse_id,
        "product_ids": sorted(transfer.lines.values_list("product_id", flat=True)),
    }


LIFECYCLE = Lifecycle(
    document="transfer",
    model="inventory.StockTransfer",
    timeline="inventory.StockTransferEvent",
    statuses=TransferStatus,
    allowed=ALLOWED,
    permissions=TRANSITION_PERMISSION,
    kinds=TransferEventKind,
    stamps={T.SHIPPED: "shipped_at", T.RECEIVED: "received_at", T.CANCELLED: "cancelled_at"},
    payload=_payload,
)
