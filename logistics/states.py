from django.db import models
from django.utils.translation import gettext_lazy as _


class ShipmentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PACKED = "packed", _("Packed")
    IN_TRANSIT = "in_transit", _("In transit")
    DELIVERED = "delivered", _("Delivered")
    EXCEPTION = "exception", _("Exception")
    RETURNED = "returned", _("Returned")
    CANCELLED = "cancelled", _("Cancelled")


H = ShipmentStatus
ALLOWED = {
    H.PENDING: {H.PACKED, H.CANCELLED},
    H.PACKED: {H.IN_TRANSIT, H.CANCELLED},
    H.IN_TRANSIT: {H.DELIVERED, H.EXCEPTION},
    H.EXCEPTION: {H.IN_TRANSIT, H.DELIVERED, H.RETURNED},
    H.DELIVERED: {H.RETURNED},
    H.RETURNED: set(),
    H.CANCELLED: set(),
}
