from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class DailySales(models.Model):
    """Sales per day and channel, rebuilt from orders by a sweep (analytics is a read-only sink)."""

    day = models.DateField(_("day"))
    channel = models.CharField(_("channel"), max_length=20)
    orders = models.PositiveIntegerField(_("orders"), default=0)
    revenue = models.DecimalField(_("revenue (net)"), max_digits=16, decimal_places=2, default=Decimal("0"))
    refreshed_at = models.DateTimeField(_("refreshed at"), auto_now=True)

    class Meta:
        verbose_name = _("daily sales")
        verbose_name_plural = _("daily sales")
        ordering = ["-day", "channel"]
        constraints = [models.UniqueConstraint(fields=["day", "channel"], name="analytics_dailysales_uniq")]

    def __str__(self):
        return f"{self.day} {self.channel}"
