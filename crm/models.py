from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimelineEvent, TimeStampedModel

MAX_PAYMENT_TERMS_DAYS = 365
LATITUDE = [MinValueValidator(Decimal("-90")), MaxValueValidator(Decimal("90"))]
LONGITUDE = [MinValueValidator(Decimal("-180")), MaxValueValidator(Decimal("180"))]


class CustomerKind(models.TextChoices):
    DEALER = "dealer", _("Dealer")
    KEY_ACCOUNT = "key_account", _("Key account")
    RETAIL_STORE = "retail_store", _("Retail store")
    ONLINE = "online", _("Online")
    WALK_IN = "walk_in", _("Walk-in")


class CustomerTier(models.TextChoices):
    STANDARD = "standard", _("Standard")
    SILVER = "silver", _("Silver")
    GOLD = "gold", _("Gold")
    PLATINUM = "platinum", _("Platinum")


class Customer(TimeStampedModel):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=20, choices=CustomerKind.choices, default=CustomerKind.DEALER
    )
    tier = models.CharField(
        _("tier"), max_length=20, choices=CustomerTier.choices, default=CustomerTier.STANDARD
    )
    credit_limit = models.DecimalField(
        _("credit limit"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    # Kept current by finance (STYLE.md §2: summaries are written down).
    credit_exposure = models.DecimalField(
        _("open credit exposure"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        editable=False,
        validators=[MinValueValidator(Decimal("0"))],
    )
    # The parts of exposure and the overdue picture, kept current by finance with credit_exposure.
    receivables_open = models.DecimalField(
        _("open receivables"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        editable=False,
        validators=[MinValueValidator(Decimal("0"))],
    )
    orders_uninvoiced = models.DecimalField(
        _("open orders not invoiced"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        editable=False,
        validators=[MinValueValidator(Decimal("0"))],
    )
    overdue_balance = models.DecimalField(
        _("overdue balance"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        editable=False,
        validators=[MinValueValidator(Decimal("0"))],
    )
    overdue_since = models.DateField(
        _("oldest overdue due date"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Due date of the oldest invoice still unpaid after it fell due."),
    )
    # When finance last computed these figures: an order submitted before it is in them.
    credit_position_at = models.DateTimeField(
        _("credit figures as of"), null=True, blank=True, editable=False
    )
    # Set by finance's collections (past the last reminder level) or by finance by hand; cleared by finance.
    credit_hold = models.BooleanField(_("on credit hold"), default=False, editable=False, db_index=True)
    credit_hold_reason = models.CharField(_("credit hold reason"), max_length=200, blank=True, editable=False)
    credit_hold_at = models.DateTimeField(_("credit hold since"), null=True, blank=True, editable=False)
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"), default=30, validators=[MaxValueValidator(MAX_PAYMENT_TERMS_DAYS)]
    )
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    tax_id = models.CharField(_("tax ID"), max_length=32, blank=True)
    sales_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rep_customers",
        verbose_name=_("sales rep"),
    )
    # Dealer users who act for this customer through the API and portal; a user linked to several
    # customers acts for a dealer group.
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="customers", verbose_name=_("portal/API users")
    )
    accepts_partial_shipments = models.BooleanField(
        _("accepts partial shipments"),
        default=True,
        help_text=_(
            "When some lines are short, ship what is in stock now and the rest later. Otherwise the "
            "order waits and ships complete. New orders take this as their default."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name"]
        permissions = [("credit_hold_customer", _("Can put customers on credit hold and release them"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(credit_limit__gte=0), name="crm_customer_credit_limit_gte_0"
            ),
            models.CheckConstraint(
                condition=models.Q(credit_exposure__gte=0), name="crm_customer_credit_exposure_gte_0"
            ),
            models.CheckConstraint(
                condition=models.Q(payment_terms_days__lte=MAX_PAYMENT_TERMS_DAYS),
                name="crm_customer_payment_terms_days_lte_365",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"


class Contact(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("customer")
    )
    name = models.CharField(_("name"), max_length=120)
    role = models.CharField(_("role"), max_length=80, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self):
        return self.name


class Address(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="addresses", verbose_name=_("customer")
    )
    label = models.CharField(_("label"), max_length=80, blank=True)
    recipient = models.CharField(_("recipient"), max_length=120)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    country = models.CharField(_("country"), max_length=2, default="CN")
    region = models.CharField(_("region / province"), max_length=80)
    city = models.CharField(_("city"), max_length=80)
    district = models.CharField(_("district"), max_length=80, blank=True)
    line1 = models.CharField(_("street address"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True, validators=LATITUDE
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True, validators=LONGITUDE
    )
    is_default_shipping = models.BooleanField(_("default shipping address"), default=False)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True) | models.Q(latitude__gte=-90, latitude__lte=90),
                name="crm_address_latitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__isnull=True)
                | models.Q(longitude__gte=-180, longitude__lte=180),
                name="crm_address_longitude_range",
            ),
        ]

    def __str__(self):
        return f"{self.label or self.recipient}: {self.city}, {self.line1}"

    def snapshot(self) -> dict:
        return {
            "recipient": self.recipient,
            "phone": self.phone,
            "country": self.country,
            "region": self.region,
            "city": self.city,
            "district": self.district,
            "line1": self.line1,
            "postal_code": self.postal_code,
            "latitude": str(self.latitude) if self.latitude is not None else None,
            "longitude": str(self.longitude) if self.longitude is not None else None,
        }


class CreditEventKind(models.TextChoices):
    """What a customer's credit timeline records: holds set and released, reminders sent (by finance)."""

    CREDIT_HOLD_SET = "customer.credit_hold_set", _("Put on credit hold")
    CREDIT_HOLD_RELEASED = "customer.credit_hold_released", _("Credit hold released")
    REMINDER_SENT = "customer.reminder_sent", _("Payment reminder sent")


class CustomerCreditEvent(TimelineEvent):
    """Append-only credit and collections timeline of a customer: who, when, what, and why.

    Written by crm.services (holds) and, through them, by finance (reminders it sent), so the customer's
    page shows its collections history without crm reading finance's tables.
    """

    kinds = CreditEventKind

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="credit_events", verbose_name=_("customer")
    )

    class Meta(TimelineEvent.Meta):
        verbose_name = _("credit event")
        verbose_name_plural = _("credit events")
        indexes = [
            models.Index(fields=["customer", "-created_at", "-id"], name="crm_credit_event_customer_idx")
        ]

    def __str__(self):
        return f"{self.customer_id} {self.kind_label}"

    @classmethod
    def record(cls, *, kind: str, customer: Customer, actor=None, note: str = "", data: dict | None = None):
        """Write one entry (a customer has no status: `from_status`/`to_status` are not kept)."""
        return cls.objects.create(
            kind=kind,
            actor=actor if getattr(actor, "pk", None) else None,
            note=note,
            data=data or {},
            customer=customer,
        )
