from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimelineEvent, TimeStampedModel
from logistics.states import ShipmentEventKind, ShipmentStatus


class Carrier(models.Model):
    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=120)
    tracking_url_template = models.CharField(
        _("tracking URL template"),
        max_length=255,
        blank=True,
        help_text=_("Use {number} for the tracking number."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("carrier")
        verbose_name_plural = _("carriers")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Shipment(TimeStampedModel):
    number = models.CharField(_("number"), max_length=32, unique=True)
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="shipments", verbose_name=_("order")
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        on_delete=models.PROTECT,
        related_name="shipments",
        verbose_name=_("warehouse"),
        null=True,
        blank=True,
    )
    carrier = models.ForeignKey(
        Carrier,
        on_delete=models.PROTECT,
        related_name="shipments",
        verbose_name=_("carrier"),
        null=True,
        blank=True,
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ShipmentStatus.choices,
        default=ShipmentStatus.PENDING,
        db_index=True,
        editable=False,
    )
    tracking_number = models.CharField(_("tracking number"), max_length=64, blank=True, db_index=True)
    packed_at = models.DateTimeField(_("packed at"), null=True, blank=True, editable=False)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True, editable=False)
    estimated_delivery_date = models.DateField(_("estimated delivery"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
        editable=False,
    )

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-created_at"]

    def __str__(self):
        return self.number


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(
        Shipment, on_delete=models.CASCADE, related_name="lines", verbose_name=_("shipment")
    )
    order_line = models.ForeignKey(
        "orders.OrderLine",
        on_delete=models.PROTECT,
        related_name="shipment_lines",
        verbose_name=_("order line"),
    )
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("shipment line")
        verbose_name_plural = _("shipment lines")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="logistics_shipline_quantity_gt_0"
            ),
            models.UniqueConstraint(
                fields=["shipment", "order_line"], name="logistics_shipline_order_line_uniq"
            ),
        ]

    def __str__(self):
        return f"{self.shipment_id}: {self.order_line_id} × {self.quantity}"


class TrackingEvent(models.Model):
    shipment = models.ForeignKey(
        Shipment, on_delete=models.CASCADE, related_name="tracking_events", verbose_name=_("shipment")
    )
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    status = models.CharField(_("status"), max_length=40)
    location = models.CharField(_("location"), max_length=120, blank=True)
    description = models.CharField(_("description"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        ordering = ["-occurred_at", "-id"]

    def __str__(self):
        return f"{self.shipment_id} {self.status}"


class ShipmentEvent(TimelineEvent):
    """Append-only timeline of a shipment: who, when, what, from → to. Carrier scans are TrackingEvents."""

    kinds = ShipmentEventKind

    shipment = models.ForeignKey(
        Shipment, on_delete=models.CASCADE, related_name="events", verbose_name=_("shipment")
    )
    from_status = models.CharField(_("from"), max_length=20, choices=ShipmentStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=ShipmentStatus.choices, blank=True)

    class Meta(TimelineEvent.Meta):
        verbose_name = _("shipment event")
        verbose_name_plural = _("shipment events")
        indexes = [
            models.Index(fields=["shipment", "-created_at", "-id"], name="logistics_event_shipment_idx")
        ]

    def __str__(self):
        return f"{self.shipment_id} {self.kind_label}"
