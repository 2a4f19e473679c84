from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimelineEvent, TimeStampedModel
from finance.states import InvoiceEventKind, InvoiceStatus

NOT_NEGATIVE = MinValueValidator(Decimal("0"))


class Invoice(TimeStampedModel):
    number = models.CharField(_("number"), max_length=32, unique=True)
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="invoices", verbose_name=_("order")
    )
    customer = models.ForeignKey(
        "crm.Customer", on_delete=models.PROTECT, related_name="invoices", verbose_name=_("customer")
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=InvoiceStatus.choices,
        default=InvoiceStatus.DRAFT,
        db_index=True,
        editable=False,
    )
    currency = models.CharField(_("currency"), max_length=3)
    subtotal = models.DecimalField(
        _("subtotal"), max_digits=14, decimal_places=2, default=Decimal("0"), validators=[NOT_NEGATIVE]
    )
    discount_total = models.DecimalField(
        _("discount"), max_digits=14, decimal_places=2, default=Decimal("0"), validators=[NOT_NEGATIVE]
    )
    tax_total = models.DecimalField(
        _("tax"), max_digits=14, decimal_places=2, default=Decimal("0"), validators=[NOT_NEGATIVE]
    )
    shipping_fee = models.DecimalField(
        _("shipping fee"), max_digits=14, decimal_places=2, default=Decimal("0"), validators=[NOT_NEGATIVE]
    )
    total = models.DecimalField(
        _("total"), max_digits=14, decimal_places=2, default=Decimal("0"), validators=[NOT_NEGATIVE]
    )
    amount_paid = models.DecimalField(
        _("amount paid"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        editable=False,
        validators=[NOT_NEGATIVE],
    )
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True, editable=False)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True, editable=False)
    overdue_at = models.DateTimeField(_("overdue at"), null=True, blank=True, editable=False)
    void_at = models.DateTimeField(_("voided at"), null=True, blank=True, editable=False)
    # A dispute is a flag beside the status, not a status: the invoice stays issued, partially paid or
    # overdue (payments are still taken, the overdue sweep still dates it, ageing still counts it); only
    # reminders stop (finance.services.disputes).
    is_disputed = models.BooleanField(_("disputed"), default=False, editable=False)
    disputed_at = models.DateTimeField(_("disputed at"), null=True, blank=True, editable=False)
    dispute_reason = models.CharField(_("dispute reason"), max_length=500, blank=True, editable=False)
    dispute_resolved_at = models.DateTimeField(
        _("dispute resolved at"), null=True, blank=True, editable=False
    )
    # The highest reminder level sent (DunningLevel.level; 0: none), with its InvoiceReminder rows.
    dunning_level = models.PositiveSmallIntegerField(_("reminder level"), default=0, editable=False)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "due_date"], name="finance_invoice_status_due_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount_paid__gte=0), name="finance_invoice_paid_gte_0"),
            models.CheckConstraint(condition=Q(subtotal__gte=0), name="finance_invoice_subtotal_gte_0"),
            models.CheckConstraint(
                condition=Q(discount_total__gte=0), name="finance_invoice_discount_total_gte_0"
            ),
            models.CheckConstraint(condition=Q(tax_total__gte=0), name="finance_invoice_tax_total_gte_0"),
            models.CheckConstraint(
                condition=Q(shipping_fee__gte=0), name="finance_invoice_shipping_fee_gte_0"
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="finance_invoice_total_gte_0"),
            models.CheckConstraint(
                condition=Q(amount_paid__lte=F("total")), name="finance_invoice_paid_lte_total"
            ),
            # One invoice per order for now (finance.services.invoice_issue checks first; this is the
            # backstop).
            models.UniqueConstraint(
                fields=["order"],
                condition=~Q(status=InvoiceStatus.VOID),
                name="finance_invoice_one_per_order",
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def balance(self) -> Decimal:
        return self.total - self.amount_paid


class Payment(TimeStampedModel):
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="payments", verbose_name=_("invoice")
    )
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    received_on = models.DateField(_("received on"))
    reference = models.CharField(_("reference"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="finance_payment_amount_gt_0")
        ]

    def __str__(self):
        return f"{self.invoice.number}: {self.amount}"


class InvoiceEvent(TimelineEvent):
    """Append-only timeline of an invoice: who, when, what, from → to."""

    kinds = InvoiceEventKind

    invoice = models.ForeignKey(
        Invoice, on_delete=models.CASCADE, related_name="events", verbose_name=_("invoice")
    )
    from_status = models.CharField(_("from"), max_length=20, choices=InvoiceStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=InvoiceStatus.choices, blank=True)

    class Meta(TimelineEvent.Meta):
        verbose_name = _("invoice event")
        verbose_name_plural = _("invoice events")
        indexes = [models.Index(fields=["invoice", "-created_at", "-id"], name="finance_event_invoice_idx")]

    def __str__(self):
        return f"{self.invoice_id} {self.kind_label}"


class ReceivablesAgeing(Invoice):
    """The admin's receivables ageing page (finance.admin): open balances by days past due."""

    class Meta:
        proxy = True
        verbose_name = _("receivables ageing")
        verbose_name_plural = _("receivables ageing")


class DunningTone(models.TextChoices):
    FRIENDLY = "friendly", _("Friendly")
    FIRM = "firm", _("Firm")
    FINAL = "final", _("Final")


class DunningLevel(models.Model):
    """A step of the overdue reminders: sent once per invoice when it is `days_overdue` days past due.

    Levels are ordered by `level`, and their days must rise with it; the highest active level is the
    final one, after which the customer goes on credit hold (settings.DUNNING_CREDIT_HOLD_AFTER_DAYS).
    """

    level = models.PositiveSmallIntegerField(
        _("level"), unique=True, validators=[MinValueValidator(1)], help_text=_("1 is the first reminder.")
    )
    name = models.CharField(_("name"), max_length=80)
    days_overdue = models.PositiveSmallIntegerField(
        _("days overdue"),
        unique=True,
        validators=[MinValueValidator(1)],
        help_text=_("Sent when an unpaid invoice is this many days past its due date."),
    )
    tone = models.CharField(
        _("tone"), max_length=10, choices=DunningTone.choices, default=DunningTone.FRIENDLY
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reminder level")
        verbose_name_plural = _("reminder levels")
        ordering = ["level"]
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1), name="finance_dunninglevel_level_gte_1"),
            models.CheckConstraint(condition=Q(days_overdue__gte=1), name="finance_dunninglevel_days_gte_1"),
        ]

    def __str__(self):
        return f"{self.level}. {self.name}"

    def clean(self):
        # The days must rise with the level, or "the highest level reached" would not be one level.
        others = DunningLevel.objects.exclude(pk=self.pk)
        if self.level is None or self.days_overdue is None:
            return
        if (
            others.filter(level__lt=self.level, days_overdue__gte=self.days_overdue).exists()
            or others.filter(level__gt=self.level, days_overdue__lte=self.days_overdue).exists()
        ):
            raise ValidationError(
                {
                    "days_overdue": _(
                        "A higher level must be sent later: the days overdue must rise with the level."
                    )
                }
            )


class InvoiceReminder(models.Model):
    """A reminder sent for an invoice at one level: at most one per (invoice, level), ever.

    Written by finance.services.dunning in the transaction that also writes the invoice's and the
    customer's timeline and the notification; the unique constraint is the backstop against a second.
    """

    invoice = models.ForeignKey(
        Invoice, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("invoice")
    )
    # The invoice's customer, so the customer's reminders are read without the invoices.
    customer = models.ForeignKey(
        "crm.Customer", on_delete=models.PROTECT, related_name="invoice_reminders", verbose_name=_("customer")
    )
    level = models.ForeignKey(
        DunningLevel, on_delete=models.PROTECT, related_name="reminders", verbose_name=_("level")
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now, db_index=True)
    days_overdue = models.PositiveSmallIntegerField(_("days overdue"))
    balance = models.DecimalField(_("balance"), max_digits=14, decimal_places=2, validators=[NOT_NEGATIVE])
    recipients = models.JSONField(
        _("recipients"), default=dict, blank=True, help_text=_("E-mail addresses and user ids notified.")
    )
    notification_key = models.CharField(_("notification key"), max_length=120)
    # For a final-level reminder: when collections put the customer on credit hold for it (null: not yet).
    credit_hold_at = models.DateTimeField(_("credit hold set at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invoice reminder")
        verbose_name_plural = _("invoice reminders")
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "level"], name="finance_reminder_once_per_level"),
        ]
        indexes = [
            # The credit-hold pass reads final-level reminders not yet acted on.
            models.Index(
                fields=["level", "sent_at"],
                condition=Q(credit_hold_at__isnull=True),
                name="finance_reminder_hold_due_idx",
            ),
        ]

    def __str__(self):
        return f"{self.invoice_id} L{self.level_id}"
