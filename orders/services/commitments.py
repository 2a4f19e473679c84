"""Committed demand: the units of each product promised to open orders and not reserved yet.

Available-to-promise serves earlier orders first (inventory.selectors.atp_timeline): before a new
order is quoted, what every submitted, not closed order still waits for comes off what is available.
Summing those lines at each intake costs as much as the backlog is long (83 ms of a 128 ms order when
thousands of orders waited for review). Instead:

- each line carries what it counts (`OrderLine.committed_units`): its units not reserved yet while its
  order is submitted and not closed (orders.selectors.COMMITTING) and it is not a custom build, else 0;
- every change of that figure adds a row with the difference to a ledger (`CommittedDemand`) in the
  same transaction, so a product's committed demand is the sum of its rows
  (orders.selectors.committed_demand);
- folding replaces a product's rows by one with their sum, so the sum stays a few rows whatever the
  backlog: intake folds the products it found crowded once its order has committed, a sweep folds the
  rest (committed_demand_fold_sweep, orders.tasks).

Rows are only inserted (and folded with SKIP LOCKED): writers of different orders never wait on each
other for them, and `commitments_sync` may run anywhere in a transaction. Writers: intake (new lines,
orders.services.intake), a status crossing the committing boundary (the order lifecycle's `after_move`,
core.lifecycle), allocation (reservations, releases), changes (lines changed, added, removed; with
what they released) and fulfilment (units shipped without a reservation). `committed_demand_rebuild`
recounts everything from the lines (data loaded around the services, a repair).
"""

from collections import defaultdict

from django.db import connection, transaction
from django.db.models import Count, Sum

from core.db import LAZY_COMMIT, bulk_update_rows, can_commit_lazily
from core.sweeps import Sweep
from orders.models import CommittedDemand, Order, OrderLine
from orders.selectors import COMMITTING, line_commitments


def _record(deltas: dict[int, int]) -> None:
    rows = [CommittedDemand(product_id=pk, units=units) for pk, units in sorted(deltas.items()) if units]
    if rows:
        CommittedDemand.objects.bulk_create(rows)


# For core.db.BulkInsert(then=…): the ledger rows of lines just inserted (`inserted`), in the same
# statement as the lines (PostgreSQL); elsewhere the caller records them with commitments_record.
COMMITTED_DEMAND_OF_INSERTED = (
    f"INSERT INTO {CommittedDemand._meta.db_table} (product_id, units) "  # noqa: S608  (the model's table)
    "SELECT product_id, SUM(committed_units) FROM inserted WHERE committed_units > 0 GROUP BY product_id"
)


def commitments_record(lines) -> None:
    """Ledger rows for new lines that already carry their `committed_units` (intake, where its insert
    could not write them in the same statement), in the caller's transaction."""
    deltas = defaultdict(int)
    for line in lines:
        deltas[line.product_id] += line.committed_units
    _record(deltas)


def commitments_sync(*, order_ids, dropping=()) -> None:
    """Bring the committed units of these orders' lines up to date and record the differences.

    Call it in the transaction that changed a line's quantity, reservation or custom-build flag, or the
    order's status across the committing boundary; idempotent (a second call finds nothing to do).
    `dropping`: ids of lines about to be deleted, which count nothing from now on.
    Queries: one read; when something changed, one update of the lines and one insert in the ledger.
    """
    order_ids, dropping = list(order_ids), set(dropping)
    if not order_ids:
        return
    with transaction.atomic(savepoint=False):
        changed, deltas = [], defaultdict(int)
        for line in line_commitments(OrderLine.objects.filter(order_id__in=order_ids)):
            now = 0 if line.pk in dropping else line.expected
            if now != line.recorded:
                changed.append(OrderLine(pk=line.pk, committed_units=now))
                deltas[line.product_id] += now - line.recorded
        bulk_update_rows(changed, ["committed_units"])
        _record(deltas)


def commitments_after_move(moves: list[tuple[Order, str]], to: str) -> None:
    """The order lifecycle's `after_move` (core.lifecycle): orders promised (submitted) or no longer
    promised (closed, a draft again) by the move recount their lines; other moves change nothing."""
    crossing = [order.pk for order, was in moves if (was in COMMITTING) != (to in COMMITTING)]
    if crossing:
        commitments_sync(order_ids=crossing)


def committed_demand_fold(*, product_ids=None) -> int:
    """Replace each product's ledger rows by one row with their sum (no row when it is 0).

    `product_ids`: these products; None: every product with more than one row (the sweep). Rows another
    fold holds are skipped (SKIP LOCKED), rows of transactions not committed yet are not seen: both are
    folded next time, and every sum stays the same throughout. Returns the number of rows folded away.
    """
    if product_ids is not None:
        product_ids = sorted(set(product_ids))
        if not product_ids:
            return 0
    table = CommittedDemand._meta.db_table
    if connection.vendor == "postgresql":
        # Products with more than one row (one row is folded already).
        which = f"SELECT product_id FROM {table} "  # noqa: S608  (the model's table name)
        params = []
        if product_ids is not None:
            which += "WHERE product_id = ANY(%s::bigint[]) "
            params = [product_ids]
        which += "GROUP BY product_id HAVING COUNT(*) > 1"
        lazy = f", {LAZY_COMMIT}" if can_commit_lazily(connection) else ""
        # A fold lost in a crash is harmless (the rows it replaced come back), hence a lazy commit.
        sql = (
            f"WITH gone AS (DELETE FROM {table} WHERE id IN ("  # noqa: S608  (the model's table name)
            f"SELECT id FROM {table} WHERE product_id IN ({which}) FOR UPDATE SKIP LOCKED) "
            "RETURNING product_id, units), "
            f"summed AS (INSERT INTO {table} (product_id, units) "
            "SELECT product_id, SUM(units) FROM gone GROUP BY product_id HAVING SUM(units) <> 0) "
            f"SELECT (SELECT COUNT(*) FROM gone){lazy}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0]
    with transaction.atomic():
        rows = CommittedDemand.objects.select_for_update()
        if product_ids is not None:
            rows = rows.filter(product_id__in=product_ids)
        rows = list(rows.values_list("pk", "product_id", "units"))
        totals, count = defaultdict(int), defaultdict(int)
        for _pk, product_id, units in rows:
            totals[product_id] += units
            count[product_id] += 1
        crowded = {pk for pk, n in count.items() if n > 1 or not totals[pk]}
        gone = [pk for pk, product_id, _units in rows if product_id in crowded]
        CommittedDemand.objects.filter(pk__in=gone).delete()
        _record({pk: totals[pk] for pk in crowded})
        return len(gone)


def committed_demand_fold_sweep(*, after: int | None = None, batch: int = 500) -> Sweep:
    """Sweep: fold up to `batch` products whose ledger holds more than one row, in product order after
    `after` (the periodic fold; intake folds the products it finds crowded itself)."""
    crowded = (
        CommittedDemand.objects.order_by("product_id")
        .values("product_id")
        .annotate(n=Count("*"))
        .filter(n__gt=1)
    )
    if after is not None:
        crowded = crowded.filter(product_id__gt=after)
    product_ids = list(crowded.values_list("product_id", flat=True)[:batch])
    if product_ids:
        committed_demand_fold(product_ids=product_ids)
    return Sweep.of(product_ids, batch)


def committed_demand_rebuild() -> int:
    """Recount every line's committed units from the orders as they are and rewrite the ledger (one row
    per product). For data written around the services (a bulk load) and as a repair. On PostgreSQL it
    holds the orders and the ledger while it runs (reads go on; order writes and intake wait).
    Returns the number of lines whose figure changed."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Every writer of committed units holds an order's row lock (or inserts an order) while it
            # reads and writes them: EXCLUSIVE on the orders waits for those in flight and keeps new ones
            # out until the recount commits, and on the ledger keeps folds out.
            tables = f"{Order._meta.db_table}, {CommittedDemand._meta.db_table}"
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")
        changed = [
            OrderLine(pk=line.pk, committed_units=line.expected)
            for line in line_commitments(OrderLine.objects.all(), stream=True)
            if line.expected != line.recorded
        ]
        for start in range(0, len(changed), 5000):
            bulk_update_rows(changed[start : start + 5000], ["committed_units"])
        CommittedDemand.objects.all().delete()
        totals = (
            OrderLine.objects.filter(committed_units__gt=0)
            .order_by()
            .values_list("product_id")
            .annotate(units=Sum("committed_units"))
        )
        _record(dict(totals))
        return len(changed)


__all__ = [
    "COMMITTED_DEMAND_OF_INSERTED",
    "commitments_after_move",
    "commitments_record",
    "commitments_sync",
    "committed_demand_fold",
    "committed_demand_fold_sweep",
    "committed_demand_rebuild",
]
