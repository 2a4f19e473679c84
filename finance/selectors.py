"""Reads for finance. Visibility lives here: a dealer reaches invoices only through *_for_dealer, a
rep the receivables of their own customers only through receivables_customers_for_user.

The receivables ageing buckets open balances by days past due in a few GROUP BY queries (never a
loop over invoices): overall, per customer, per sales rep.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Case, Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import NotFound
from core.money import ZERO
from crm.models import Customer
from crm.selectors import customer_list_for_rep, customer_list_for_user, is_sales_rep
from finance.models import Invoice, InvoiceReminder
from finance.states import OPEN, InvoiceStatus

MONEY = DecimalField(max_digits=14, decimal_places=2)


def invoice_list_for_dealer(*, user) -> QuerySet[Invoice]:
    """Invoices of the customers `user` acts for, once issued (drafts are internal)."""
    return (
        Invoice.objects.filter(customer__in=customer_list_for_user(user=user).values("pk"))
        .exclude(status=InvoiceStatus.DRAFT)
        .select_related("order", "customer")
    )


def invoice_get_for_dealer(*, user, number: str) -> Invoice:
    """One of the dealer's invoices by number; NotFound for any other (another dealer's included)."""
    invoice = invoice_list_for_dealer(user=user).filter(number=number).first()
    if invoice is None:
        raise NotFound()
    return invoice


# --- Receivables ageing ---------------------------------------------------------------------------


class AgeingBucket(models.TextChoices):
    """Open balances by days past their due date (due today or later: current)."""

    CURRENT = "current", gettext_lazy("Current")
    DAYS_1_30 = "d1_30", gettext_lazy("1–30 days")
    DAYS_31_60 = "d31_60", gettext_lazy("31–60 days")
    DAYS_61_90 = "d61_90", gettext_lazy("61–90 days")
    OVER_90 = "d90_plus", gettext_lazy("Over 90 days")


# Each overdue bucket's days past due, inclusive (None: no upper end).
_BUCKET_DAYS = {
    AgeingBucket.DAYS_1_30: (1, 30),
    AgeingBucket.DAYS_31_60: (31, 60),
    AgeingBucket.DAYS_61_90: (61, 90),
    AgeingBucket.OVER_90: (91, None),
}
BUCKETS = tuple(AgeingBucket.values)


@dataclass
class AgeingRow:
    """One line of an ageing report: open balances per bucket, for one customer, rep, or everyone."""

    key: int | None = None
    label: str = ""
    code: str = ""
    invoices: int = 0
    total: Decimal = ZERO
    disputed: Decimal = ZERO
    buckets: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(BUCKETS, ZERO))
    on_hold: bool = False
    # Filled in by the portal page: the customer's overdue invoices.
    overdue_invoices: list = field(default_factory=list)

    @property
    def overdue(self) -> Decimal:
        return self.total - self.buckets[AgeingBucket.CURRENT]

    def cells(self) -> list[Decimal]:
        return [self.buckets[bucket] for bucket in BUCKETS]


def _bucket_sums(today: dt.date) -> dict:
    balance = F("total") - F("amount_paid")

    def when(**condition):
        return Sum(Case(When(**condition, then=balance), default=Value(ZERO), output_field=MONEY))

    sums = {
        "n": Count("pk"),
        "amount": Sum(balance, output_field=MONEY),
        "disputed": when(is_disputed=True),
        # No due date (never on an issued invoice) counts as current.
        AgeingBucket.CURRENT: Sum(
            Case(
                When(Q(due_date__gte=today) | Q(due_date__isnull=True), then=balance),
                default=Value(ZERO),
                output_field=MONEY,
            )
        ),
    }
    for bucket, (low, high) in _BUCKET_DAYS.items():
        condition = {"due_date__lte": today - dt.timedelta(days=low)}
        if high is not None:
            condition["due_date__gte"] = today - dt.timedelta(days=high)
        sums[bucket] = when(**condition)
    return sums


def _row(values: dict, **identity) -> AgeingRow:
    return AgeingRow(
        invoices=values["n"] or 0,
        total=values["amount"] or ZERO,
        disputed=values["disputed"] or ZERO,
        buckets={bucket: values[bucket] or ZERO for bucket in BUCKETS},
        **identity,
    )


def _open_invoices(customers: QuerySet | None) -> QuerySet[Invoice]:
    invoices = Invoice.objects.filter(status__in=OPEN)
    if customers is not None:
        invoices = invoices.filter(customer__in=customers.order_by().values("pk"))
    return invoices.order_by()


def ageing_total(*, today: dt.date | None = None, customers: QuerySet | None = None) -> AgeingRow:
    """The whole ageing in one row (of `customers` only, when given): one query."""
    today = today or timezone.localdate()
    return _row(_open_invoices(customers).aggregate(**_bucket_sums(today)), label=str(_("Total")))


def ageing_by_customer(
    *, today: dt.date | None = None, customers: QuerySet | None = None, overdue_only: bool = False
) -> QuerySet:
    """Per customer with an open balance (of `customers` only, when given), most overdue first: a
    GROUP BY queryset of dicts (customer id, code, name, rep, `n`, `amount`, `disputed` and one sum per
    bucket) that a paginator can slice; `ageing_rows` turns a page into AgeingRows."""
    today = today or timezone.localdate()
    sums = _bucket_sums(today)
    rows = (
        _open_invoices(customers)
        .values(
            "customer_id",
            "customer__code",
            "customer__name",
            "customer__sales_rep_id",
            "customer__credit_hold",
        )
        .annotate(**sums)
    )
    rows = rows.annotate(overdue=ExpressionWrapper(F("amount") - F(AgeingBucket.CURRENT), output_field=MONEY))
    if overdue_only:
        rows = rows.filter(overdue__gt=0)
    return rows.order_by("-overdue", "-amount", "customer__name")


def ageing_rows(rows) -> list[AgeingRow]:
    """AgeingRows of `ageing_by_customer` dicts (a page of them)."""
    return [
        _row(
            values,
            key=values["customer_id"],
            label=values["customer__name"],
            code=values["customer__code"],
            on_hold=values["customer__credit_hold"],
        )
        for values in rows
    ]


def ageing_by_rep(*, today: dt.date | None = None, customers: QuerySet | None = None) -> list[AgeingRow]:
    """Per sales rep (customers without one: a row labelled so), largest overdue first: two queries."""
    today = today or timezone.localdate()
    grouped = list(_open_invoices(customers).values("customer__sales_rep_id").annotate(**_bucket_sums(today)))
    reps = {
        user.pk: user
        for user in get_user_model()._default_manager.filter(
            pk__in=[row["customer__sales_rep_id"] for row in grouped if row["customer__sales_rep_id"]]
        )
    }
    rows = []
    for values in grouped:
        rep = reps.get(values["customer__sales_rep_id"])
        label = (rep.get_full_name() or rep.get_username()) if rep else str(_("No sales rep"))
        rows.append(_row(values, key=rep.pk if rep else None, label=label))
    return sorted(rows, key=lambda row: (-row.overdue, -row.total, row.label))


def overdue_invoices(*, today: dt.date | None = None, customers: QuerySet | None = None) -> QuerySet[Invoice]:
    """Open invoices past their due date (of `customers` only, when given), by customer then oldest."""
    today = today or timezone.localdate()
    return (
        _open_invoices(customers)
        .filter(due_date__lt=today)
        .select_related("customer")
        .order_by("customer__name", "customer_id", "due_date", "pk")
    )


def receivables_customers_for_user(*, user) -> QuerySet[Customer]:
    """Whose receivables the portal shows `user`: a rep's own customers; everyone's to finance staff
    (who may view invoices); nobody's to anyone else."""
    if user.has_perm("finance.view_invoice"):
        return Customer.objects.all()
    if is_sales_rep(user):
        return customer_list_for_rep(user=user)
    return Customer.objects.none()


def can_see_receivables(user) -> bool:
    return user.is_authenticated and (user.has_perm("finance.view_invoice") or is_sales_rep(user))


def invoice_reminders_for_customer(*, customer_id: int) -> QuerySet[InvoiceReminder]:
    return (
        InvoiceReminder.objects.filter(customer_id=customer_id)
        .select_related("invoice", "level")
        .order_by("-sent_at", "-id")
    )
