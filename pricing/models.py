"""Pricing data, needed at order intake: lives below orders and imports nothing of it.

The tables keep the names they had while pricing lived inside finance (pricing/migrations/0001_initial.py
moved the models without touching the database).
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.models import CustomerTier

NOT_NEGATIVE = MinValueValidator(Decimal("0"))
MAX_TRANSIT_DAYS = 365


class TierDiscount(models.Model):
    tier = models.CharField(_("tier"), max_length=20, choices=CustomerTier.choices, unique=True)
    percent = models.DecimalField(
        _("discount %"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )

    class Meta:
        db_table = "finance_tierdiscount"
        verbose_name = _("tier discount")
        verbose_name_plural = _("tier discounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__gte=0, percent__lte=100), name="finance_tierdiscount_percent_0_100"
            ),
        ]

    def __str__(self):
        return f"{self.get_tier_display()}: {self.percent}%"


class CustomerPrice(models.Model):
    """A negotiated net price for one customer and product; replaces list price and tier discount."""

    customer = models.ForeignKey(
        "crm.Customer", on_delete=models.CASCADE, related_name="prices", verbose_name=_("customer")
    )
    product = models.ForeignKey(
        "inventory.Product",
        on_delete=models.CASCADE,
        related_name="customer_prices",
        verbose_name=_("product"),
    )
    price = models.DecimalField(_("price"), max_digits=14, decimal_places=2, validators=[NOT_NEGATIVE])

    class Meta:
        db_table = "finance_customerprice"
        verbose_name = _("customer price")
        verbose_name_plural = _("customer prices")
        constraints = [
            models.UniqueConstraint(fields=["customer", "product"], name="finance_customerprice_uniq"),
            models.CheckConstraint(condition=Q(price__gte=0), name="finance_customerprice_price_gte_0"),
        ]

    def __str__(self):
        return f"{self.customer_id}/{self.product_id}: {self.price}"


class ShippingRate(models.Model):
    """Shipping fee estimate per destination region: base + per kg, free above a threshold."""

    region = models.CharField(
        _("region / province"), max_length=80, unique=True, help_text=_("Use * for the default rate.")
    )
    base_fee = models.DecimalField(
        _("base fee"), max_digits=10, decimal_places=2, default=Decimal("0"), validators=[NOT_NEGATIVE]
    )
    per_kg = models.DecimalField(
        _("per kg"), max_digits=10, decimal_places=2, default=Decimal("0"), validators=[NOT_NEGATIVE]
    )
    free_above = models.DecimalField(
        _("free above order subtotal"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[NOT_NEGATIVE],
    )
    transit_days = models.PositiveSmallIntegerField(
        _("transit days"), default=3, validators=[MaxValueValidator(MAX_TRANSIT_DAYS)]
    )

    class Meta:
        db_table = "finance_shippingrate"
        verbose_name = _("shipping rate")
        verbose_name_plural = _("shipping rates")
        constraints = [
            models.CheckConstraint(condition=Q(base_fee__gte=0), name="finance_shippingrate_base_fee_gte_0"),
            models.CheckConstraint(condition=Q(per_kg__gte=0), name="finance_shippingrate_per_kg_gte_0"),
            models.CheckConstraint(
                condition=Q(free_above__isnull=True) | Q(free_above__gte=0),
                name="finance_shippingrate_free_above_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(transit_days__lte=MAX_TRANSIT_DAYS),
                name="finance_shippingrate_transit_days_lte_365",
            ),
        ]

    def __str__(self):
        return self.region
