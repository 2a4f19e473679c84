"""Portal pages of finance: the receivables ageing of a rep's own customers."""

from collections import defaultdict

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views import View

from finance.selectors import (
    AgeingBucket,
    ageing_by_customer,
    ageing_rows,
    ageing_total,
    can_see_receivables,
    overdue_invoices,
    receivables_customers_for_user,
)
from portal.mixins import PortalAccessMixin

PAGE_SIZE = 25


class ReceivablesView(PortalAccessMixin, View):
    """Open balances of the rep's customers by days past due, most overdue first, each customer's
    overdue invoices listed under it. Finance staff see every customer. A fixed number of queries."""

    access_check = staticmethod(can_see_receivables)
    no_access_reason = gettext_lazy("Receivables are shown to sales representatives for their customers.")

    def get(self, request):
        today = timezone.localdate()
        customers = receivables_customers_for_user(user=request.user)
        page = Paginator(ageing_by_customer(today=today, customers=customers), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        rows = ageing_rows(page)
        late = defaultdict(list)
        for invoice in overdue_invoices(today=today, customers=customers).filter(
            customer_id__in=[row.key for row in rows]
        ):
            invoice.days_overdue = (today - invoice.due_date).days
            late[invoice.customer_id].append(invoice)
        for row in rows:
            row.overdue_invoices = late.get(row.key, [])
        return render(
            request,
            "portal/finance/receivables.html",
            {
                "today": today,
                "buckets": AgeingBucket.choices,
                "total": ageing_total(today=today, customers=customers),
                "page": page,
                "rows": rows,
            },
        )
