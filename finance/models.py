from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
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
