"""Invoices and payments are written by finance.services only; reminder levels are finance's to edit;
reminders are read-only; the receivables ageing is a report page."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminDateWidget
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin_mixins import (
    DomainErrorAdminMixin,
    PartOfParentInline,
    ReadOnlyAdminMixin,
    ReasonActionForm,
    ServiceAddViewMixin,
    ServiceDocumentAdminMixin,
    TimelineInline,
    action_reason,
    use_autocomplete,
)
from crm.models import Customer
from finance import selectors, services
from finance.models import DunningLevel, Invoice, InvoiceEvent, InvoiceReminder, Payment, ReceivablesAgeing
from finance.states import InvoiceStatus
from orders.models import Order

AGEING_PAGE_SIZE = 50


class _InvoicePartInline(PartOfParentInline):
    """Payments and timeline belong to the invoice: visible with it, written only by the services."""


class PaymentInline(_InvoicePartInline):
    model = Payment
    fields = ("received_on", "amount", "reference", "created_at")
    readonly_fields = fields


class InvoiceEventInline(TimelineInline):
    model = InvoiceEvent


class InvoiceReminderInline(_InvoicePartInline):
    model = InvoiceReminder
    fields = ("sent_at", "level", "days_overdue", "balance", "recipient_list", "credit_hold_at")
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("reminders sent")

    @admin.display(description=gettext_lazy("recipients"))
    def recipient_list(self, reminder: InvoiceReminder) -> str:
        return _recipient_list(reminder)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("level")


def _recipient_list(reminder: InvoiceReminder) -> str:
    emails = reminder.recipients.get("emails") or []
    users = reminder.recipients.get("users") or []
    parts = list(emails)
    if users:
        parts.append(_("%(count)d staff") % {"count": len(users)})
    return ", ".join(parts) or "—"


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
    actions = ["mark_overdue", "void", "dispute", "resolve_dispute"]
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
        "is_disputed",
        "dunning_level",
    )
    list_filter = ("status", "is_disputed", "dunning_level", "due_date", "issued_at")
    search_fields = ("number", "order__number", "customer__name", "customer__code")
    list_select_related = ("order", "customer")
    date_hierarchy = "created_at"
    inlines = (PaymentInline, InvoiceReminderInline, InvoiceEventInline)

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

    @admin.action(description=gettext_lazy("Mark selected invoices disputed (reason)"), permissions=["write"])
    def dispute(self, request, queryset):
        reason = action_reason(request, label=_("Dispute"), required=True)
        if reason is not None:
            self._each_flag(request, queryset, services.invoice_dispute, _("Dispute"), reason)

    @admin.action(
        description=gettext_lazy("Resolve the dispute of selected invoices (reason)"), permissions=["write"]
    )
    def resolve_dispute(self, request, queryset):
        reason = action_reason(request, label=_("Resolve dispute"), required=True)
        if reason is not None:
            self._each_flag(request, queryset, services.invoice_dispute_resolve, _("Resolve dispute"), reason)

    def _each_flag(self, request, queryset, service, label: str, reason: str) -> None:
        """Call a flag service per invoice; those it leaves unchanged are reported as skipped, not done."""
        done, skipped = [], []
        for pk, number in queryset.order_by("pk").values_list("pk", "number"):
            ok, result = self.call_service(
                request, service, subject=number, invoice_id=pk, reason=reason, actor=request.user
            )
            if ok:
                (done if result[1] else skipped).append(number)
        if done:
            messages.success(
                request, _("%(action)s: done (%(items)s).") % {"action": label, "items": ", ".join(done)}
            )
        if skipped:
            messages.warning(
                request,
                _("%(action)s: nothing to do (%(items)s).") % {"action": label, "items": ", ".join(skipped)},
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


@admin.register(DunningLevel)
class DunningLevelAdmin(admin.ModelAdmin):
    """The reminder levels. A level's number is fixed once created (invoices record the level they got);
    a level in use is deactivated, not deleted."""

    list_display = ("level", "name", "days_overdue", "tone", "is_active")
    list_display_links = ("level", "name")
    list_filter = ("tone", "is_active")
    fields = ("level", "name", "days_overdue", "tone", "is_active")

    def get_readonly_fields(self, request, obj=None):
        return ("level",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.reminders.exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(InvoiceReminder)
class InvoiceReminderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Reminders sent by the daily collections run (finance.services.dunning), for reference."""

    list_display = (
        "sent_at",
        "invoice",
        "customer",
        "level",
        "days_overdue",
        "balance",
        "recipient_list",
        "credit_hold_at",
    )
    list_filter = ("level", "sent_at")
    search_fields = ("invoice__number", "customer__name", "customer__code", "notification_key")
    list_select_related = ("invoice", "customer", "level")
    date_hierarchy = "sent_at"

    @admin.display(description=gettext_lazy("recipients"))
    def recipient_list(self, reminder: InvoiceReminder) -> str:
        return _recipient_list(reminder)


@admin.register(ReceivablesAgeing)
class ReceivablesAgeingAdmin(admin.ModelAdmin):
    """Receivables ageing: open balances by days past due, overall, per sales rep and per customer
    (most overdue first, paginated), filtered by rep. For whoever may view invoices."""

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("finance.view_invoice")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = timezone.localdate()
        reps = list(
            get_user_model()
            ._default_manager.filter(rep_customers__isnull=False)
            .distinct()
            .order_by("first_name", "last_name", "username")
        )
        rep = request.GET.get("rep", "")
        customers = None
        if rep == "none":
            customers = Customer.objects.filter(sales_rep__isnull=True)
        elif rep.isdigit():
            customers = Customer.objects.filter(sales_rep_id=int(rep))
        else:
            rep = ""
        page = Paginator(
            selectors.ageing_by_customer(today=today, customers=customers), AGEING_PAGE_SIZE
        ).get_page(request.GET.get("page"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Receivables ageing"),
            "today": today,
            "buckets": selectors.AgeingBucket.choices,
            "total": selectors.ageing_total(today=today, customers=customers),
            "by_rep": selectors.ageing_by_rep(today=today, customers=customers),
            "page": page,
            "rows": selectors.ageing_rows(page),
            "reps": reps,
            "rep": rep,
            "invoice_changelist": "admin:finance_invoice_changelist",
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/finance/receivables_ageing.html", context)
