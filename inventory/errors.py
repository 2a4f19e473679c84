"""Inventory's domain errors (STYLE.md §6)."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, ValidationFailed


class InsufficientStock(Conflict):
    """Not enough available stock (or, for a release or shipment, not enough reserved) for some lines.

    `extra["lines"]` names each short line: product_id, warehouse_id, requested and available.
    """

    code = "insufficient_stock"
    default_message = _("Not enough stock for some lines.")

    def __init__(self, message: Any = None, *, lines: list[dict], fields: dict | None = None):
        super().__init__(message, extra={"lines": lines}, fields=fields)
        self.lines = lines


class InvalidStockMovement(ValidationFailed):
    """A quantity, reason or document that no movement can be made of."""

    code = "invalid_stock_movement"
