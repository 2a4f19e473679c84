"""Default reminder levels, and every customer's credit position computed once (finance.services.credit
keeps it current from here on; before, only open invoice balances were kept, as the exposure)."""

from decimal import Decimal

from django.db import migrations
from django.db.models import Case, DecimalField, F, Min, OuterRef, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Greatest

# 7 days late: a friendly note (a missed payment is most often an oversight); 21: firm; 45: the final
# notice. The customer goes on credit hold DUNNING_CREDIT_HOLD_AFTER_DAYS (7) after the final notice.
LEVELS = [
    (1, "Friendly reminder", 7, "friendly"),
    (2, "Firm reminder", 21, "firm"),
    (3, "Final notice", 45, "final"),
]
OPEN_INVOICES = ("issued", "partially_paid", "overdue")
# finance.services.credit.ORDERS_COUNTED as of this release.
ORDERS_COUNTED = (
    "allocated",
    "approved",
    "delivered",
    "in_production",
    "in_review",
    "on_hold",
    "partially_shipped",
    "ready_to_ship",
    "shipped",
    "submitted",
)
MONEY = DecimalField(max_digits=14, decimal_places=2)
ZERO = Decimal("0.00")


def add_levels(apps, schema_editor):
    DunningLevel = apps.get_model("finance", "DunningLevel")
    for level, name, days, tone in LEVELS:
        DunningLevel.objects.get_or_create(level=level, defaults={"name": name, "days_overdue": days, "tone": tone})


def compute_positions(apps, schema_editor):
    Customer = apps.get_model("crm", "Customer")
    Invoice = apps.get_model("finance", "Invoice")
    Order = apps.get_model("orders", "Order")
    overdue = {"status": "overdue"}
    invoices = {
        row["customer_id"]: row
        for row in Invoice.objects.filter(status__in=OPEN_INVOICES)
        .order_by()
        .values("customer_id")
        .annotate(
            receivables=Sum(F("total") - F("amount_paid"), output_field=MONEY),
            overdue=Sum(Case(When(**overdue, then=F("total") - F("amount_paid")), default=Value(ZERO), output_field=MONEY)),
            since=Min(Case(When(**overdue, then=F("due_date")))),
        )
    }
    invoiced = (
        Invoice.objects.filter(order=OuterRef("pk"))
        .exclude(status="void")
        .order_by()
        .values("order")
        .annotate(amount=Sum("total"))
        .values("amount")
    )
    orders = {
        row["customer_id"]: row["amount"]
        for row in Order.objects.filter(status__in=ORDERS_COUNTED)
        .annotate(
            rest=Greatest(
                F("total") - Coalesce(Subquery(invoiced, output_field=MONEY), Value(ZERO), output_field=MONEY),
                Value(ZERO),
                output_field=MONEY,
            )
        )
        .order_by()
        .values("customer_id")
        .annotate(amount=Sum("rest", output_field=MONEY))
    }
    changed = []
    for customer in Customer.objects.filter(pk__in=set(invoices) | set(orders)).iterator():
        figures = invoices.get(customer.pk, {})
        customer.receivables_open = figures.get("receivables") or ZERO
        customer.orders_uninvoiced = orders.get(customer.pk) or ZERO
        customer.overdue_balance = figures.get("overdue") or ZERO
        customer.overdue_since = figures.get("since")
        customer.credit_exposure = customer.receivables_open + customer.orders_uninvoiced
        changed.append(customer)
    fields = ["receivables_open", "orders_uninvoiced", "overdue_balance", "overdue_since", "credit_exposure"]
    Customer.objects.bulk_update(changed, fields, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0005_collections"),
        ("crm", "0005_customer_credit_events"),
        ("orders", "0003_accepts_partial_and_allocation"),
    ]

    operations = [
        migrations.RunPython(add_levels, migrations.RunPython.noop),
        migrations.RunPython(compute_positions, migrations.RunPython.noop),
    ]
