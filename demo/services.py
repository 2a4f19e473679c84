"""Load the demo business: reference data, users for every role and a few months of order history.

Idempotent: everything is keyed by natural keys (codes, SKUs, usernames, and DEMO-000123 external
references for orders), so a second run finds what the first one made and creates nothing.
Nothing is wrapped in one big transaction: every service call commits on its own, as in real use.
"""

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from demo import builders, data
from demo.builders import Tally
from demo.history import Context, order_from_plan
from demo.plans import plan_order, reference_for
from finance.models import Invoice, InvoiceReminder, Payment
from finance.services import dunning_credit_holds, dunning_levels, dunning_run, invoice_mark_overdue_due
from finance.states import InvoiceStatus
from inventory.models import Product, StockLevel, StockTransfer, Warehouse
from inventory.services import stock_alerts_evaluate
from inventory.transfers import transfer_receive, transfer_request, transfer_ship
from logistics.models import Carrier, Shipment
from orders.models import Order, OrderEvent
from orders.states import OPEN as OPEN_ORDERS
from production.models import Plant, ProductionLine, WorkOrder
from production.services.delays import delays_sweep
from production.services.materials import materials_refresh_shortages
from production.services.scheduling import work_order_create, work_order_move, work_order_resequence
from production.states import WorkOrderKind, WorkOrderStatus

DEFAULT_SEED = 2024


@dataclass
class SeedResult:
    tally: Tally
    orders_by_status: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)


def demo_seed(
    *,
    size: str = "small",
    orders: int | None = None,
    seed: int = DEFAULT_SEED,
    progress: Callable[[int, int], None] | None = None,
) -> SeedResult:
    """Create whatever part of the demo business does not exist yet.

    `size` picks the number of orders (data.SIZES); `orders` overrides it. Orders DEMO-000001 up to
    that number that already exist are skipped; the rest are created and walked through the real
    services, then backdated over the last months. `progress(done, total)` is called now and then.
    Side effects: rows in every app; one Celery message per order status change (on commit).
    Raises KeyError for an unknown size.
    """
    count = data.SIZES[size] if orders is None else orders
    tally = Tally()
    users = builders.seed_users(tally=tally)
    builders.seed_review_rules(tally=tally)
    products = builders.seed_catalog(tally=tally)
    builders.seed_places(tally=tally, products=products)
    builders.seed_production(tally=tally, users=users, products=products)
    customers = builders.seed_customers(tally=tally, users=users)
    builders.seed_pricing(tally=tally, customers=customers, products=products)
    result = SeedResult(tally=tally)

    now = timezone.now()
    ctx = Context(
        seed=seed,
        now=now,
        users=users,
        customers=customers,
        addresses=builders.customer_addresses(customers),
        warehouses={w.code: w for w in Warehouse.objects.filter(code__in=[s.code for s in data.WAREHOUSES])},
        carriers={c.code: c for c in Carrier.objects.filter(is_active=True)},
    )
    # Rows the services write for orders are counted, not keyed: before and after the run.
    followers = (OrderEvent, Shipment, Invoice, Payment)
    before = {model: model.objects.count() for model in followers}
    existing = set(
        Order.objects.filter(external_reference__startswith=data.ORDER_REFERENCE_PREFIX).values_list(
            "external_reference", flat=True
        )
    )
    for index in range(1, count + 1):
        if reference_for(index) in existing:
            tally.add(Order, False)
            continue
        outcome = order_from_plan(plan=plan_order(seed=seed, index=index, now=now), ctx=ctx)
        if outcome is None:
            result.problems.append(f"{reference_for(index)}: could not be created")
            continue
        tally.add(Order, True)
        if outcome.problem:
            result.problems.append(outcome.problem)
        if progress and index % 250 == 0:
            progress(index, count)
    _seed_transfers(result, actor=users.get("logistics"))
    for model in followers:
        tally.add(model, False, before[model])
        tally.add(model, True, model.objects.count() - before[model])
    # Some demo rows sit at or below their reorder point: the trial shows their alerts at once, not
    # after the first beat tick.
    stock_alerts_evaluate()
    _seed_collections()
    _seed_production(users)
    result.orders_by_status = Counter(
        Order.objects.filter(external_reference__startswith=data.ORDER_REFERENCE_PREFIX).values_list(
            "status", flat=True
        )
    )
    return result


def _transfer_pick(*, used: set[int]) -> tuple[StockLevel, Warehouse, int] | None:
    """The fullest stock row of a product not used yet, the active warehouse holding least of that
    product, and about a fifth of what is available (whole packs)."""
    levels = (
        StockLevel.objects.filter(
            warehouse__is_active=True, product__is_active=True, product__made_to_order=False, on_hand__gt=0
        )
        .exclude(product_id__in=used)
        .select_related("product", "warehouse")
        .order_by("product__sku", "warehouse__code")
    )
    best = max(levels, key=lambda level: level.available, default=None)
    if best is None or best.available < 2:
        return None
    held = dict(StockLevel.objects.filter(product=best.product).values_list("warehouse_id", "on_hand"))
    others = Warehouse.objects.filter(is_active=True).exclude(pk=best.warehouse_id).order_by("code")
    target = min(others, key=lambda warehouse: held.get(warehouse.pk, 0), default=None)
    if target is None:
        return None
    pack = best.product.pack_size
    quantity = max(1, best.available // 5 // pack * pack)
    return best, target, quantity


def _seed_transfers(result: SeedResult, *, actor) -> None:
    """Two transfers through inventory's services: one received, one in transit. Keyed by reason."""
    existing = set(
        StockTransfer.objects.filter(reason__in=[reason for reason, _received in data.TRANSFERS]).values_list(
            "reason", flat=True
        )
    )
    used: set[int] = set()
    for reason, received in data.TRANSFERS:
        if reason in existing:
            result.tally.add(StockTransfer, False)
            continue
        pick = _transfer_pick(used=used)
        if pick is None:
            result.problems.append(f"{reason}: no stock to transfer")
            continue
        level, target, quantity = pick
        used.add(level.product_id)
        transfer = transfer_request(
            from_warehouse_id=level.warehouse_id,
            to_warehouse_id=target.pk,
            lines=[(level.product_id, quantity)],
            reason=reason,
            actor=actor,
        )
        transfer_ship(transfer_id=transfer.pk, actor=actor)
        if received:
            transfer_receive(transfer_id=transfer.pk, actor=actor)
        result.tally.add(StockTransfer, True)


@dataclass(frozen=True)
class Login:
    url: str
    role: str
    username: str
    password: str
    exists: bool
    acts_for: str = ""


# Days past due of the late payers' invoices: every ageing bucket, every reminder level, one hold.
LATE_DAYS = (12, 26, 38, 52, 75, 104)


def _seed_production(users: dict) -> None:
    """What the production trial shows beyond the orders' builds, through production's services, once
    (skipped when a make-to-stock work order exists): a make-to-stock run of panels (announced to
    available-to-promise), a tractor run waiting for 560 hp engines (on the purchasing list, it cannot
    start), and a rush order moved to the front of a truck line, which pushes the build behind it past
    its promised date — the delay sweep then tells the order manager, the rep and the dealer.
    """
    if WorkOrder.objects.filter(kind=WorkOrderKind.STOCK).exists():
        return
    scheduler = users.get("scheduler")
    panel = Product.objects.filter(category__code="led-panels", is_active=True).order_by("sku").first()
    if panel is not None:
        work_order_create(product_id=panel.pk, quantity=400, actor=scheduler)
    tractor = Product.objects.filter(sku="TRK-T9-TRACTOR").first()
    plant = Plant.objects.filter(code="SY01").first()
    if tractor is not None and plant is not None:
        work_order_create(
            product_id=tractor.pk,
            quantity=3,
            options={"engine": "560hp-pto"},
            plant_id=plant.pk,
            actor=scheduler,
        )
    materials_refresh_shortages()
    _rush_stock_run(scheduler)
    delays_sweep()


def _rush_stock_run(scheduler) -> None:
    """The scheduler puts a two-day stock run at the front of the line with the most customer builds
    waiting: every build behind it moves back (production.services.scheduling), past its promise."""
    waiting = Counter(
        WorkOrder.objects.filter(
            kind=WorkOrderKind.ORDER, status=WorkOrderStatus.PLANNED, order__status__in=OPEN_ORDERS
        ).values_list("line_id", flat=True)
    )
    if not waiting:
        return
    line = ProductionLine.objects.select_related("plant").get(
        pk=min(waiting, key=lambda pk: (-waiting[pk], pk))
    )
    product = (
        Product.objects.filter(category__production_family__family_id=line.family_id, is_active=True)
        .order_by("sku")
        .first()
    )
    if product is None:
        return
    run = work_order_create(
        product_id=product.pk, quantity=2 * line.units_per_day, plant_id=line.plant_id, actor=scheduler
    )
    if run.line_id != line.pk:
        run = work_order_move(work_order_id=run.pk, line_id=line.pk, actor=scheduler)
    work_order_resequence(work_order_id=run.pk, position=1, actor=scheduler)


def _seed_collections() -> None:
    """Late payers: some open invoices fell due weeks ago, so the trial shows ageing in every bucket,
    overdue marks, reminders at each level and a customer on credit hold. As the demo's backdating
    does, only time is moved here (due and issue dates; the final notice's date); the overdue marks,
    reminders, hold and credit figures come from the finance services. Once: skipped when reminders
    exist.
    """
    if InvoiceReminder.objects.exists():
        return
    open_invoices = list(
        Invoice.objects.filter(
            status__in=[InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID], is_disputed=False
        ).order_by("pk")
    )
    if not open_invoices:
        return
    today = timezone.localdate()
    step = max(1, len(open_invoices) // len(LATE_DAYS))
    late = list(zip(open_invoices[::step], LATE_DAYS, strict=False))
    for invoice, days in late:
        due = today - dt.timedelta(days=days)
        terms = invoice.customer.payment_terms_days if invoice.customer_id else 30
        issued = timezone.make_aware(dt.datetime.combine(due - dt.timedelta(days=terms), dt.time(10)))
        Invoice.objects.filter(pk=invoice.pk).update(due_date=due, issued_at=min(issued, timezone.now()))
    invoice_mark_overdue_due(batch=1000)
    dunning_run(batch=1000)
    # The latest payer's final notice went out a while ago and is still unpaid: collections hold them.
    final = dunning_levels()[-1:]
    if final:
        InvoiceReminder.objects.filter(invoice=late[-1][0], level=final[0]).update(
            sent_at=timezone.now() - dt.timedelta(days=settings.DUNNING_CREDIT_HOLD_AFTER_DAYS + 1)
        )
        dunning_credit_holds()


def demo_logins(*, base_url: str = "") -> list[Login]:
    """The demo logins and whether each user exists yet. Reads only."""
    User = get_user_model()
    users = {
        u.username: u
        for u in User.objects.filter(username__in=[s.username for s in data.USERS]).prefetch_related(
            "customers"
        )
    }
    logins = []
    for spec in data.USERS:
        user = users.get(spec.username)
        codes = ", ".join(sorted(c.code for c in user.customers.all())) if user else ""
        url = " · ".join(base_url.rstrip("/") + path.strip() for path in spec.path.split("·"))
        logins.append(
            Login(
                url=url,
                role=spec.role,
                username=spec.username,
                password=data.DEMO_PASSWORD,
                exists=user is not None,
                acts_for=codes,
            )
        )
    return logins
