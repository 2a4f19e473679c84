"""Invoices and payments are written by finance.services only."""

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminDateWidget
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin_mixins import (
    DomainErrorAdminMixin,
    PartOfParentInline,
    ReasonActionForm,
    ServiceAddViewMixin,
    ServiceDocumentAdminMixin,
    TimelineInline,
    action_reason,
    use_autocomplete,
)
from finance import services
from finance.models import Invoice, InvoiceEvent, Payment
from finance.states import InvoiceStatus
from orders.models import Order


class _InvoicePartInline(PartOfParentInline):
    """Payments and timeline belong to the invoice: visible with it, written only by the services."""


class PaymentInline(_InvoicePartInline):
    model = Payment
    fields = ("received_on", "amount", "reference", "created_at")
    readonly_fields = fields


class InvoiceEventInline(TimelineInline):
    model = InvoiceEvent


class InvoiceIssueForm(forms.Form):
    order = forms.ModelChoiceField(
        label=capfirst(gettext_lazy("order")),
        queryset=Order.objects.all(),
        help_text=gettext_lazy("A shipped order without an invoice."),
    )

    def __init__(self, *args, admin_site: admin.AdminSite, **kwargs):
        super().__init__(*args, **kwargs)
        use_autocomplete(self, "order", Invoice._meta.get_field("order"), admin_site)


@admin.register(Invoice)
class InvoiceAdmin(DomainErrorAdminMixin, ServiceDocumentAdminMixin, ServiceAddViewMixin, admin.ModelAdmin):
    add_form = InvoiceIssueForm
    add_form_takes_admin_site = True
    add_fieldsets = ((None, {"fields": ("order",)}),)
    action_form = ReasonActionForm
    actions = ["mark_overdue", "void"]
    list_display = (
        "number",
        "order",
        "customer",
        "status",
        "total",
        "amount_paid",
        "balance",
        "currency",
        "issued_at",
        "due_date",
    )
    list_filter = ("status", "due_date", "issued_at")
    search_fields = ("number", "order__number", "customer__name", "customer__code")
    list_select_related = ("order", "customer")
    date_hierarchy = "created_at"
    inlines = (PaymentInline, InvoiceEventInline)

    @admin.display(description=gettext_lazy("balance"))
    def balance(self, obj: Invoice):
        return obj.balance

    write_permission = "finance.change_invoice"

    def create_through_service(self, request, form: InvoiceIssueForm) -> Invoice:
        return services.invoice_issue(order_id=form.cleaned_data["order"].pk, actor=request.user)

    @admin.action(description=gettext_lazy("Mark selected invoices overdue"), permissions=["write"])
    def mark_overdue(self, request, queryset):
        self.call_service_each(
            request,
            queryset,
            services.invoice_mark_overdue,
            id_kwarg="invoice_id",
            label=_("Mark overdue"),
            already=InvoiceStatus.OVERDUE,
        )

    @admin.action(description=gettext_lazy("Void selected invoices (reason)"), permissions=["write"])
    def void(self, request, queryset):
        reason = action_reason(request, label=_("Void"), required=True)
        if reason is not None:
            self.call_service_each(
                request,
                queryset,
                services.invoice_void,
                id_kwarg="invoice_id",
                already=InvoiceStatus.VOID,
                label=_("Void"),
                reason=reason,
                actor=request.user,
            )


class PaymentRecordForm(forms.Form):
    invoice = forms.ModelChoiceField(label=capfirst(gettext_lazy("invoice")), queryset=Invoice.objects.all())
    amount = forms.DecimalField(
        label=capfirst(gettext_lazy("amount")), max_digits=14, decimal_places=2, min_value=Decimal("0.01")
    )
    received_on = forms.DateField(
        label=capfirst(gettext_lazy("received on")), widget=AdminDateWidget, initial=timezone.localdate
    )
    reference = forms.CharField(label=capfirst(gettext_lazy("reference")), max_length=80, required=False)

    def __init__(self, *args, admin_site: admin.AdminSite, **kwargs):
        super().__init__(*args, **kwargs)
        use_autocomplete(self, "invoice", Payment._meta.get_field("invoice"), admin_site)


@admin.register(Payment)
class PaymentAdmin(DomainErrorAdminMixin, ServiceDocumentAdminMixin, ServiceAddViewMixin, admin.ModelAdmin):
    add_form = PaymentRecordForm
    add_form_takes_admin_site = True
    add_fieldsets = ((None, {"fields": ("invoice", "amount", "received_on", "reference")}),)
    list_display = ("invoice", "amount", "received_on", "reference", "created_at")
    list_filter = ("received_on",)
    search_fields = ("invoice__number", "reference", "invoice__customer__name")
    list_select_related = ("invoice",)
    date_hierarchy = "received_on"

    def create_through_service(self, request, form: PaymentRecordForm) -> Payment:
        data = form.cleaned_data
        return services.payment_record(
            invoice_id=data["invoice"].pk,
            amount=data["amount"],
            received_on=data["received_on"],
            reference=data["reference"],
            actor=request.user,
        )
