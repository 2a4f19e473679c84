"""Collections at scale (issue #9): one dunning run over 100,000 open invoices, the ageing report and
the nightly credit repair, with wall time and statements counted.

    .venv/bin/python bench/dunning.py [--invoices 100000] [--customers 2000] [--reps 20] [--batch 200]

Seeds its own PostgreSQL database (BENCH_DUNNING_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/oms_fin_bench — emptied first; a name without "bench" is refused):
`--customers` customers spread over `--reps` sales reps, each with a billing contact, three Finance
clerks, the default reminder levels (7 friendly, 21 firm, 45 final), and `--invoices` overdue invoices
(each of its own completed order), bulk-inserted, 1 to 120 days past due (uniform, fixed seed):
about 95 % have reached a level. DUNNING_CREDIT_HOLD_AFTER_DAYS is 0, so the run ends with the credit
holds of every customer with a final notice.

Then, in this process, as the `finance-dunning` task chain runs it (batch after batch until one comes
back short): the first run (every reminder due is sent), a second run the same day (nothing to send),
the ageing report (overall, per rep, first page per customer) and the credit repair over every
customer. Statements are counted with a database execute wrapper and split into the dunning's own,
the notices' (core.notifications.notify_many, one call per batch) and the outbox relay's after each
batch's commit (each batch's `notification.created` event publishes its mail task to the real Redis broker,
BENCH_BROKER_URL, default redis://127.0.0.1:6379/5; no worker runs; the queue is purged after).

Prints the machine, the sizes and the figures; writes bench/results/dunning.md. Only meaningful on an
otherwise idle machine.
"""

import argparse
import datetime as dt
import os
import random
import sys
import time
from collections import Counter
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# bench.run sets its own database in the environment at import: import it first, then choose ours.
from bench.run import _ensure_database, _ensure_redis, _machine  # noqa: E402

os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DUNNING_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/oms_fin_bench"
)
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
os.environ.setdefault("OMS_VAR_DIR", str(ROOT / "var" / "bench"))
BROKER_URL = os.environ["BENCH_BROKER_URL"] = os.environ.get(
    "BENCH_DUNNING_BROKER_URL", "redis://127.0.0.1:6379/5"
)

CENT = Decimal("0.01")


class Statements:
    """Counts the statements run on the default connection, by phase (the dunning's own, notify(),
    the relay after commit)."""

    def __init__(self):
        self.by_phase: Counter = Counter()
        self.seconds: Counter = Counter()
        self.phase = "dunning"

    def __call__(self, execute, sql, params, many, context):
        self.by_phase[self.phase] += 1
        return execute(sql, params, many, context)

    @contextmanager
    def counting(self):
        from django.db import connection  # noqa: PLC0415

        self.by_phase.clear()
        self.seconds.clear()
        with connection.execute_wrapper(self):
            yield self

    @property
    def total(self) -> int:
        return sum(self.by_phase.values())


def _in_phase(counter: Statements, name: str, function):
    def wrapped(*args, **kwargs):
        if counter.phase == "holds":  # the holds' own notices and relays count as the holds'
            return function(*args, **kwargs)
        outer, counter.phase = counter.phase, name
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            counter.seconds[name] += time.perf_counter() - started
            counter.phase = outer

    return wrapped


def _reset() -> None:
    from django.core.management import call_command  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415

    name = connection.settings_dict["NAME"]
    if "bench" not in name:
        raise SystemExit(f"refusing to empty database {name!r}: its name must contain 'bench'")
    call_command("flush", interactive=False, verbosity=0)


def seed(*, invoices: int, customers: int, reps: int, seed: int) -> dict:
    from django.contrib.auth import get_user_model  # noqa: PLC0415
    from django.contrib.auth.models import Group  # noqa: PLC0415
    from django.db import transaction  # noqa: PLC0415
    from django.utils import timezone  # noqa: PLC0415

    from crm.models import Contact, Customer  # noqa: PLC0415
    from crm.roles import FINANCE  # noqa: PLC0415
    from crm.services import roles_sync  # noqa: PLC0415
    from finance.models import Invoice  # noqa: PLC0415
    from finance.states import InvoiceStatus  # noqa: PLC0415
    from finance.tests.factories import default_levels  # noqa: PLC0415
    from orders.models import Channel, Order  # noqa: PLC0415
    from orders.states import OrderStatus  # noqa: PLC0415

    rng = random.Random(seed)
    now, today = timezone.now(), timezone.localdate()
    User = get_user_model()
    with transaction.atomic():
        roles_sync()
        default_levels()
        rep_users = User.objects.bulk_create(
            [
                User(username=f"bench.rep{i}", email=f"rep{i}@oms.example", first_name=f"Rep {i}")
                for i in range(reps)
            ]
        )
        finance = User.objects.bulk_create(
            [User(username=f"bench.fin{i}", email=f"fin{i}@oms.example", is_staff=True) for i in range(3)]
        )
        Group.objects.get(name=FINANCE).user_set.add(*finance)
        custs = Customer.objects.bulk_create(
            [
                Customer(code=f"DB{i:05d}", name=f"Dunning bench dealer {i}", sales_rep=rep_users[i % reps])
                for i in range(customers)
            ]
        )
        Contact.objects.bulk_create(
            [
                Contact(customer=c, name="AP", role="Accounts payable", email=f"ap@{c.code.lower()}.example")
                for c in custs
            ]
        )
        days_late = []
        for start in range(0, invoices, 5000):
            size = min(5000, invoices - start)
            orders, rows = [], []
            for n in range(start, start + size):
                total = (Decimal(rng.randint(5_000, 500_000)) / 100).quantize(CENT)
                orders.append(
                    Order(
                        number=f"SO-DB-{n:07d}",
                        customer=custs[rng.randrange(customers)],
                        channel=Channel.DEALER_API,
                        status=OrderStatus.COMPLETED,
                        subtotal=total,
                        total=total,
                        completed_at=now,
                    )
                )
            Order.objects.bulk_create(orders, batch_size=5000)
            for n, order in enumerate(orders, start=start):
                days = rng.randint(1, 120)
                days_late.append(days)
                rows.append(
                    Invoice(
                        number=f"INV-DB-{n:07d}",
                        order=order,
                        customer_id=order.customer_id,
                        status=InvoiceStatus.OVERDUE,
                        currency="CNY",
                        subtotal=order.total,
                        total=order.total,
                        issued_at=now - dt.timedelta(days=days + 30),
                        overdue_at=now,
                        due_date=today - dt.timedelta(days=days),
                    )
                )
            Invoice.objects.bulk_create(rows, batch_size=5000)
    return {
        "invoices": invoices,
        "customers": customers,
        "reps": reps,
        "finance_clerks": 3,
        "expected": Counter(3 if d >= 45 else 2 if d >= 21 else 1 if d >= 7 else 0 for d in days_late),
    }


def run_chain(batch: int, counter: Statements) -> tuple[float, int]:
    from finance.services import dunning_run  # noqa: PLC0415

    started = time.perf_counter()
    batches = 1
    with counter.counting():
        sweep = dunning_run(batch=batch)
        while sweep.more:
            sweep = dunning_run(after=sweep.after, batch=batch)
            batches += 1
    return time.perf_counter() - started, batches


def timed(counter: Statements, function, *args, **kwargs):
    started = time.perf_counter()
    with counter.counting():
        result = function(*args, **kwargs)
    return result, time.perf_counter() - started, counter.total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "dunning.md"))
    args = parser.parse_args()

    _ensure_redis(BROKER_URL)
    _ensure_database(os.environ["DATABASE_URL"])
    import django  # noqa: PLC0415

    django.setup()
    from django.conf import settings  # noqa: PLC0415
    from django.core.management import call_command  # noqa: PLC0415

    from config.celery import app  # noqa: PLC0415
    from core import outbox  # noqa: PLC0415
    from core.models import Notification, OutboxEvent  # noqa: PLC0415
    from crm.models import Customer  # noqa: PLC0415
    from finance.models import InvoiceReminder  # noqa: PLC0415
    from finance.selectors import ageing_by_customer, ageing_by_rep, ageing_rows, ageing_total  # noqa: PLC0415
    from finance.services import credit_positions_repair  # noqa: PLC0415
    from finance.services import dunning as dunning_module  # noqa: PLC0415

    settings.DUNNING_CREDIT_HOLD_AFTER_DAYS = 0
    call_command("migrate", verbosity=0)
    machine = _machine()
    machine["load"] = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    print(f"Machine: {machine}", flush=True)
    _reset()
    started = time.perf_counter()
    data = seed(invoices=args.invoices, customers=args.customers, reps=args.reps, seed=args.seed)
    seeded = time.perf_counter() - started
    print(
        f"Seeded {data['invoices']:,} invoices for {data['customers']:,} customers in {seeded:.1f} s",
        flush=True,
    )

    counter = Statements()
    dunning_module.notify_many = _in_phase(counter, "notify", dunning_module.notify_many)
    dunning_module.dunning_credit_holds = _in_phase(counter, "holds", dunning_module.dunning_credit_holds)
    outbox.relay_committed = _in_phase(counter, "relay after commit", outbox.relay_committed)
    app.control.purge()

    first_s, batches = run_chain(args.batch, counter)
    first = dict(counter.by_phase)
    first_seconds = dict(counter.seconds)
    reminders = InvoiceReminder.objects.count()
    by_level = Counter(InvoiceReminder.objects.values_list("level__level", flat=True))
    held = Customer.objects.filter(credit_hold=True).count()
    notices = Notification.objects.count()
    print(f"First run: {reminders:,} reminders in {first_s:.1f} s, statements {first}", flush=True)

    second_s, _batches = run_chain(args.batch, counter)
    second = counter.total
    assert InvoiceReminder.objects.count() == reminders, "the second run sent reminders again"

    today_rows, total_s, total_q = timed(counter, ageing_total)
    rep_rows, rep_s, rep_q = timed(counter, ageing_by_rep)
    page, page_s, page_q = timed(counter, lambda: ageing_rows(ageing_by_customer()[:50]))
    repair_s, repair_q, repair_batches, after = 0.0, 0, 0, None
    while True:
        sweep, seconds, queries = timed(counter, credit_positions_repair, after=after, batch=500)
        repair_s, repair_q, repair_batches = repair_s + seconds, repair_q + queries, repair_batches + 1
        if not sweep.more:
            break
        after = sweep.after
    purged = app.control.purge()

    expected = {level: n for level, n in data["expected"].items() if level}
    per_reminder = {phase: first[phase] / reminders for phase in first}
    own_s = first_s - sum(first_seconds.values())
    lines = [
        "# Dunning and ageing benchmark (issue #9)",
        "",
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB; "
        f"PostgreSQL {machine['postgresql']}, Python {machine['python']}, Django {machine['django']}; "
        f"load {machine['load']}.",
        f"Data: {data['invoices']:,} overdue invoices (1–120 days late) of {data['customers']:,} customers, "
        f"{data['reps']} reps, {data['finance_clerks']} Finance clerks; levels 7/21/45 days; "
        f"batch {args.batch}. Seeded in {seeded:.0f} s.",
        "",
        "| run | wall time | invoices/s | statements | statements per reminder |",
        "|---|---|---|---|---|",
        f"| dunning, first run ({batches} batches, {reminders:,} reminders, {held:,} customers held) | "
        f"{first_s:.1f} s | {data['invoices'] / first_s:,.0f} | {sum(first.values()):,} | "
        f"{sum(first.values()) / reminders:.2f} |",
        f"| · the dunning's own (selection, locks, inserts, timelines), per batch: "
        f"{first.get('dunning', 0) / batches:.1f} | {own_s:.1f} s | | "
        f"{first.get('dunning', 0):,} | {per_reminder.get('dunning', 0):.2f} |",
        f"| · notify_many(), one call per batch ({notices:,} notices: billing address, rep, 3 clerks) | "
        f"{first_seconds.get('notify', 0):.1f} s | | {first.get('notify', 0):,} | "
        f"{per_reminder.get('notify', 0):.2f} |",
        f"| · outbox relay after each commit (one mail task published per batch) | "
        f"{first_seconds.get('relay after commit', 0):.1f} s | | {first.get('relay after commit', 0):,} | "
        f"{per_reminder.get('relay after commit', 0):.2f} |",
        f"| · credit holds after the final level ({held:,} customers, each its own transaction and notice) | "
        f"{first_seconds.get('holds', 0):.1f} s | | {first.get('holds', 0):,} | |",
        f"| dunning, second run the same day (nothing due) | {second_s:.2f} s | "
        f"{data['invoices'] / second_s:,.0f} | {second} | |",
        f"| ageing: overall (one row) | {total_s * 1000:.0f} ms | | {total_q} | |",
        f"| ageing: per rep ({len(rep_rows)} rows) | {rep_s * 1000:.0f} ms | | {rep_q} | |",
        f"| ageing: per customer, first page of 50 | {page_s * 1000:.0f} ms | | {page_q} | |",
        f"| credit repair over {data['customers']:,} customers ({repair_batches} batches of 500) | "
        f"{repair_s:.2f} s | | {repair_q} | |",
        "",
        f"Reminders by level: {dict(sorted(by_level.items()))} (expected {dict(sorted(expected.items()))}); "
        f"overall open balance {today_rows.total:,}; mail tasks published and purged: {purged:,}; "
        f"outbox events: {OutboxEvent.objects.count():,}.",
    ]
    assert dict(by_level) == expected, "reminders by level differ from the levels reached"
    report = "\n".join(lines) + "\n"
    print(report)
    Path(args.output).write_text(report)


if __name__ == "__main__":
    main()
