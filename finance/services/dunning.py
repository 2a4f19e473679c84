"""Collections: overdue reminders in escalating levels, and the credit hold after the last one (issue #9).

The levels (finance.models.DunningLevel: 7 days friendly, 21 firm, 45 final by default) are steps of
days past the due date. An invoice gets the highest level it has reached, once: like Odoo's follow-up
levels, an invoice first looked at when 50 days late gets the final reminder only, not three at once,
and the levels it skipped are not sent later. Each (invoice, level) is sent at most once, ever:

- the daily run selects open, undisputed invoices with a balance whose reached level is above the
  level they last got (`Invoice.dunning_level`), in batches by primary key;
- a batch locks its invoices with SKIP LOCKED (an overlapping run takes other invoices instead of
  waiting, and never the same ones), re-checks them under the lock, and in one transaction writes the
  InvoiceReminder rows (unique per invoice and level: the backstop), raises `dunning_level`, writes
  the invoice's and the customer's timeline entries and the notifications (core.notifications, once
  per key and recipient). A worker dying mid-batch leaves all of it or none of it;
- a payment in full, a void or a dispute takes the invoice out of the selection: reminders stop.

Once an invoice is still open DUNNING_CREDIT_HOLD_AFTER_DAYS after its final-level reminder, its
customer goes on credit hold (crm.services.customer_set_credit_hold), once per reminder: a hold that
finance releases is not set again for the same invoices.
"""

import datetime as dt
import logging
import operator
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.notifications import notify_many
from core.sweeps import Sweep
from crm.models import CreditEventKind
from crm.roles import FINANCE
from crm.selectors import customer_billing_emails, customer_portal_user_ids, user_ids_in_role
from crm.services import CreditEventEntry, customer_credit_events_record, customer_set_credit_hold
from finance.models import DunningLevel, Invoice, InvoiceEvent, InvoiceReminder
from finance.states import OPEN, InvoiceEventKind

logger = logging.getLogger(__name__)


def dunning_levels() -> list[DunningLevel]:
    """The active levels, lowest first; the last one is the final level."""
    return list(DunningLevel.objects.filter(is_active=True).order_by("level"))


def level_reached(levels: Sequence[DunningLevel], days_past_due: int) -> DunningLevel | None:
    """The highest of `levels` (lowest first, days rising) an invoice this many days late has reached."""
    reached = None
    for level in levels:
        if days_past_due >= level.days_overdue:
            reached = level
    return reached


def invoices_due_for_reminder(*, levels: Sequence[DunningLevel], today: dt.date) -> QuerySet[Invoice]:
    """Open, undisputed invoices with a balance that have reached a level above the one they last got."""
    reached_unsent = reduce(
        operator.or_,
        (
            Q(due_date__lte=today - dt.timedelta(days=level.days_overdue), dunning_level__lt=level.level)
            for level in levels
        ),
    )
    return Invoice.objects.filter(
        reached_unsent, status__in=OPEN, is_disputed=False, total__gt=F("amount_paid")
    )


@dataclass(frozen=True)
class _Due:
    invoice: Invoice
    level: DunningLevel
    days: int


def _still_due(invoice: Invoice, levels: Sequence[DunningLevel], today: dt.date) -> _Due | None:
    if invoice.status not in OPEN or invoice.is_disputed or invoice.balance <= 0 or invoice.due_date is None:
        return None
    days = (today - invoice.due_date).days
    level = level_reached(levels, days)
    if level is None or level.level <= invoice.dunning_level:
        return None
    return _Due(invoice, level, days)


def _remind(invoice_ids: list[int], levels: Sequence[DunningLevel], today: dt.date, link: str) -> int:
    """Send the due reminder of each invoice of `invoice_ids` not locked by another run; in the caller's
    transaction. Statements per batch: 7 + one per level sent + 4 for the notices
    (core.notifications.notify_many), whatever the batch's size."""
    # OF self: the customers joined for the texts are not locked (a payment's refresh locks them).
    locked = list(
        Invoice.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk__in=invoice_ids)
        .select_related("customer")
        .order_by("pk")
    )
    due = [d for d in (_still_due(invoice, levels, today) for invoice in locked) if d is not None]
    if not due:
        return 0
    now = timezone.now()
    customer_ids = {d.invoice.customer_id for d in due}
    emails = customer_billing_emails(customer_ids=customer_ids)
    # Dealer users acting for the customer see the reminder in the portal (and by e-mail) too.
    dealers = customer_portal_user_ids(customer_ids=customer_ids)
    finance_users = set(user_ids_in_role(FINANCE))
    reminders, timeline, customer_log, by_level, notices = [], [], [], defaultdict(list), []
    for d in due:
        invoice, customer = d.invoice, d.invoice.customer
        key = f"invoice.reminder:{invoice.pk}:{d.level.level}"
        users = sorted(finance_users | ({customer.sales_rep_id} if customer.sales_rep_id else set()))
        to = emails.get(customer.pk, [])
        summary = {
            "level": d.level.level,
            "level_name": d.level.name,
            "tone": d.level.tone,
            "days_overdue": d.days,
            "balance": str(invoice.balance),
            "emails": to,
            "users": users,
        }
        reminders.append(
            InvoiceReminder(
                invoice=invoice,
                customer_id=customer.pk,
                level=d.level,
                sent_at=now,
                days_overdue=d.days,
                balance=invoice.balance,
                recipients={"emails": to, "users": users},
                notification_key=key,
            )
        )
        timeline.append(
            InvoiceEvent(
                invoice=invoice,
                kind=InvoiceEventKind.REMINDER_SENT,
                note=d.level.name,
                data=summary,
                created_at=now,
            )
        )
        customer_log.append(
            CreditEventEntry(
                customer_id=customer.pk,
                kind=CreditEventKind.REMINDER_SENT,
                note=f"{invoice.number}: {d.level.name}",
                data={"invoice": invoice.number, **summary},
                at=now,
            )
        )
        by_level[d.level.level].append(invoice.pk)
        notices.append(
            {
                "kind": f"invoice.reminder.{d.level.tone}",
                "key": key,
                "users": users,
                "emails": to,
                "context": {
                    "invoice_number": invoice.number,
                    "customer_name": customer.name,
                    "customer_code": customer.code,
                    "currency": invoice.currency,
                    "total": str(invoice.total),
                    "balance": str(invoice.balance),
                    "due_date": invoice.due_date.isoformat(),
                    "days_overdue": d.days,
                    "level": d.level.level,
                    "level_name": d.level.name,
                },
                "link": link,
            }
        )
        dealer_users = sorted(set(dealers.get(customer.pk, ())) - set(users))
        if dealer_users:
            # Same fact, without the rep's receivables page (the seller's).
            notices.append({**notices[-1], "users": dealer_users, "emails": [], "link": ""})
    # The unique (invoice, level) constraint is the backstop: a second row fails the whole batch.
    InvoiceReminder.objects.bulk_create(reminders)
    InvoiceEvent.objects.bulk_create(timeline)
    for level_number, ids in sorted(by_level.items()):
        Invoice.objects.filter(pk__in=ids).update(dunning_level=level_number, updated_at=now)
    customer_credit_events_record(entries=customer_log)
    notify_many(notices)
    return len(due)


def _remind_batch(invoice_ids: list[int], levels: Sequence[DunningLevel], today: dt.date, link: str) -> int:
    """One transaction for the batch; if it fails for one invoice's sake, each invoice in its own, so
    one bad row (logged) does not hold back the others' reminders. A lost connection or a deadlock is
    raised: the task retries the run."""
    try:
        with transaction.atomic():
            return _remind(invoice_ids, levels, today, link)
    except (OperationalError, InterfaceError):
        raise
    except Exception:
        if len(invoice_ids) == 1:
            logger.exception("dunning: the reminder of invoice %s failed", invoice_ids[0])
            return 0
        logger.exception(
            "dunning: a batch of %d invoices failed; sending invoice by invoice", len(invoice_ids)
        )
        return sum(_remind_batch([invoice_id], levels, today, link) for invoice_id in invoice_ids)


def _hold_reason(numbers: list[str]) -> str:
    shown = ", ".join(numbers[:3]) + (" …" if len(numbers) > 3 else "")
    return _("Unpaid after the final reminder: %(invoices)s") % {"invoices": shown}


def _holds_due(final: DunningLevel, cutoff: dt.datetime) -> QuerySet[InvoiceReminder]:
    """Final-level reminders old enough whose invoice is still open and undisputed, not yet acted on."""
    return InvoiceReminder.objects.filter(
        level=final,
        credit_hold_at__isnull=True,
        sent_at__lte=cutoff,
        invoice__status__in=OPEN,
        invoice__is_disputed=False,
    )


def dunning_credit_holds(
    *, levels: Sequence[DunningLevel] | None = None, now: dt.datetime | None = None, batch: int = 100
) -> int:
    """Put on credit hold every customer with an invoice still open (and not in dispute)
    DUNNING_CREDIT_HOLD_AFTER_DAYS after its final-level reminder, once per such reminder.

    Customers are taken `batch` at a time in id order, each in its own transaction: its invoices
    locked (SKIP LOCKED: one that a payment or an overlapping run holds waits for the next run),
    re-checked, the customer held (crm; a customer already on hold keeps its first reason) and the
    reminders stamped `credit_hold_at`. Returns the number of customers newly put on hold.
    """
    levels = dunning_levels() if levels is None else levels
    if not levels:
        return 0
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.DUNNING_CREDIT_HOLD_AFTER_DAYS)
    link = reverse("portal:receivables")
    held, after = 0, 0
    while True:
        customer_ids = list(
            _holds_due(levels[-1], cutoff)
            .filter(customer_id__gt=after)
            .order_by("customer_id")
            .values_list("customer_id", flat=True)
            .distinct()[:batch]
        )
        for customer_id in customer_ids:
            held += _hold_customer(customer_id, levels[-1], cutoff, now, link)
        if len(customer_ids) < batch:
            return held
        after = customer_ids[-1]


def _hold_customer(customer_id: int, final: DunningLevel, cutoff: dt.datetime, now, link: str) -> int:
    with transaction.atomic():
        due = _holds_due(final, cutoff).filter(customer_id=customer_id)
        # Lock order: invoices, then the customer (crm.services locks it): as payments take them.
        invoices = list(
            Invoice.objects.select_for_update(skip_locked=True)
            .filter(pk__in=due.values("invoice_id"), status__in=OPEN, is_disputed=False)
            .order_by("pk")
            .values_list("pk", "number")
        )
        if not invoices:
            return 0
        numbers = [number for _pk, number in invoices]
        _customer, changed = customer_set_credit_hold(
            customer_id=customer_id,
            reason=_hold_reason(numbers),
            data={"invoices": numbers, "reason": "dunning.final_level"},
            link=link,
        )
        due.filter(invoice_id__in=[pk for pk, _number in invoices]).update(credit_hold_at=now)
    return int(changed)


def dunning_run(*, today: dt.date | None = None, after: int | None = None, batch: int | None = None) -> Sweep:
    """Sweep: send the due reminders of up to `batch` invoices (primary-key order, from the cursor
    `after`); once the last batch is done, put on credit hold the customers past the final level.

    Invoices another run holds are skipped (they stay due, for the next run). Returns the Sweep:
    `handled` invoices looked at, `more`/`after` while a full batch came back.
    """
    today = today or timezone.localdate()
    batch = batch or settings.DUNNING_BATCH
    levels = dunning_levels()
    if not levels:
        return Sweep(handled=0)
    due = invoices_due_for_reminder(levels=levels, today=today).order_by("pk")
    if after is not None:
        due = due.filter(pk__gt=after)
    ids = list(due.values_list("pk", flat=True)[:batch])
    link = reverse("portal:receivables")
    sent = _remind_batch(ids, levels, today, link) if ids else 0
    sweep = Sweep.of(ids, batch)
    held = 0 if sweep.more else dunning_credit_holds(levels=levels)
    logger.info(
        "dunning: %d invoices looked at, %d reminders sent, %d customers put on credit hold",
        len(ids),
        sent,
        held,
    )
    return sweep
