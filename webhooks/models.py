import secrets
import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


class WebhookEventType(models.TextChoices):
    ORDER_APPROVED = "order.approved", "order.approved"
    ORDER_REJECTED = "order.rejected", "order.rejected"
    ORDER_CHANGES_REQUESTED = "order.changes_requested", "order.changes_requested"
    ORDER_ALLOCATED = "order.allocated", "order.allocated"
    ORDER_BACKORDERED = "order.backordered", "order.backordered"
    ORDER_SHIPPED = "order.shipped", "order.shipped"
    ORDER_DELIVERED = "order.delivered", "order.delivered"
    ORDER_CANCELLED = "order.cancelled", "order.cancelled"
    ORDER_ETA_CHANGED = "order.eta_changed", "order.eta_changed"
    PRODUCTION_DELAYED = "production.delayed", "production.delayed"
    SHIPMENT_TRACKING_UPDATED = "shipment.tracking_updated", "shipment.tracking_updated"
    INVOICE_ISSUED = "invoice.issued", "invoice.issued"
    INVOICE_OVERDUE = "invoice.overdue", "invoice.overdue"


def _new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class WebhookEndpoint(TimeStampedModel):
    customer = models.ForeignKey(
        "crm.Customer", on_delete=models.CASCADE, related_name="webhook_endpoints", verbose_name=_("customer")
    )
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=80, default=_new_secret)
    event_types = models.JSONField(
        _("event types"), default=list, blank=True, help_text=_("Empty means every event.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    consecutive_failures = models.PositiveIntegerField(_("consecutive failures"), default=0, editable=False)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True, editable=False)
    disabled_reason = models.CharField(_("disabled because"), max_length=255, blank=True, editable=False)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["customer_id", "id"]

    def __str__(self):
        return self.url

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class WebhookDelivery(TimeStampedModel):
    """One event to one endpoint; retried with backoff until it succeeds or runs out of attempts."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("endpoint")
    )
    event_id = models.UUIDField(_("event id"), default=uuid.uuid4, editable=False)
    event_type = models.CharField(_("event type"), max_length=64, db_index=True)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
        db_index=True,
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True, db_index=True)
    # Set while a worker is sending; an expired lease (a crashed worker) makes the delivery due again.
    leased_until = models.DateTimeField(_("leased until"), null=True, blank=True, editable=False)
    last_response_code = models.PositiveSmallIntegerField(_("last response code"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhooks_delivery_event_uniq")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhooks_delivery_due_idx")]

    def __str__(self):
        return f"{self.event_type} → {self.endpoint_id}"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log", verbose_name=_("delivery")
    )
    attempted_at = models.DateTimeField(_("attempted at"), default=timezone.now)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["-attempted_at"]

    def __str__(self):
        return f"{self.delivery_id} @ {self.attempted_at:%Y-%m-%d %H:%M:%S}"
