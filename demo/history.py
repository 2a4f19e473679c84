"""Demo order history: every order goes through the real services, then its clock is turned back.

Each order is created with orders.services.order_create and walked along its plan with the
lifecycle services of orders, logistics (shipments) and finance (invoices, payments), one service
call — one transaction — at a time. Every call runs inside a `Clock` window that remembers which
planned moment it stands for; `backdate_order` then moves every timestamp the services wrote to
that moment. That is the only place demo data is written around the services, and only for time.
"""

import contextlib
import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models, transaction
from django.utils import timezone

from core.errors import DomainError
from crm.models import Customer
from demo import data
from demo.plans import PRODUCTS_BY_SKU, OrderPlan, Step
from finance.models import Invoice, InvoiceEvent, Payment
from finance.services import invoice_issue, payment_record
from finance.states import InvoiceStatus
from inventory.models import StockLevel, StockMovement, Warehouse
from inventory.selectors import stock_available_by_product
from inventory.services import stock_receive
from logistics.models import Carrier, Shipment, ShipmentEvent
from logistics.services import (
    shipment_create,
    shipment_deliver,
    shipment_dispatch,
    shipment_pack,
    tracking_event_add,
)
from logistics.states import ShipmentStatus
from orders.models import MAX_REVIEW_LEVEL, Channel, Order, OrderEvent
from orders.review import order_review_waiting_roles
from orders.selectors import line_allocations_held
from orders.services import (
    order_allocate,
    order_approve,
    order_cancel,
    order_create,
    order_hold,
    order_reject,
    order_release_hold,
    order_reopen,
    order_start_review,
    order_transition,
)
from orders.states import OrderStatus
from pricing.services import LineRequest
from production.models import ProductionBatch, WorkOrder, WorkOrderEvent, WorkOrderLoad, WorkOrderStage
from production.services.progress import stage_finish, stage_start
from production.services.scheduling import work_orders_cancel_for_order, work_orders_create_for_order
from production.states import OPEN as OPEN_WORK_ORDERS

S = OrderStatus
# Who approves a review step of each group (demo usernames; data.USERS).
REVIEWERS = {
    data.GROUP_ORDER_MANAGER: "manager",
    data.GROUP_SALES_DIRECTOR: "director",
    data.GROUP_SCHEDULER: "scheduler",
    data.GROUP_FINANCE: "finance",
}


@dataclass
class Window:
    real_start: dt.datetime
    real_end: dt.datetime
    planned: dt.datetime


@dataclass
class Clock:
    """Maps the real time of each service call to the moment of the story it stands for."""

    now: dt.datetime
    windows: list[Window] = field(default_factory=list)

    @contextlib.contextmanager
    def at(self, planned: dt.datetime):
        start = timezone.now()
        yield
        self.windows.append(Window(start, timezone.now(), min(planned, self.now)))

    def planned(self, real: dt.datetime | None) -> dt.datetime | None:
        if real is None:
            return None
        for window in self.windows:
            if window.real_start <= real <= window.real_end:
                return window.planned
        return real


@dataclass
class Context:
    """What every order of a run shares: the demo users, customers, addresses, places and carriers."""

    seed: int
    now: dt.datetime
    users: dict
    customers: dict[str, Customer]
    addresses: dict[tuple[str, str], int]
    warehouses: dict[str, Warehouse]
    carriers: dict[str, Carrier]


@dataclass
class Outcome:
    order: Order
    problem: str = ""


def _creator(plan: OrderPlan, ctx: Context):
    """Who keyed the order in: the dealer's own user, the rep, an order manager, or nobody (a feed)."""
    customer = plan.customer
    if plan.channel == Channel.DEALER_API and customer.dealer_users:
        return ctx.users[customer.dealer_users[0]]
    if plan.channel in (Channel.SALES_REP, Channel.KEY_ACCOUNT) and customer.rep:
        return ctx.users[customer.rep]
    if plan.channel == Channel.ONLINE:
        return None
    return ctx.users["manager"]


def _nearest_warehouse(plan: OrderPlan, ctx: Context) -> Warehouse | None:
    address = plan.customer.addresses[plan.address_index]
    best = min(
        data.WAREHOUSES,
        key=lambda w: (w.latitude - address.latitude) ** 2 + (w.longitude - address.longitude) ** 2,
    )
    return ctx.warehouses.get(best.code)


def _carrier_and_tracking(plan: OrderPlan, ctx: Context, rng: random.Random) -> tuple[Carrier | None, str]:
    products = [PRODUCTS_BY_SKU[line.sku] for line in plan.lines]
    if any(p.kind == "truck" for p in products):
        code, number = "OWNFLEET", f"DRV-{rng.randint(100000, 999999)}"
    elif any(p.is_fragile for p in products):
        code = rng.choice(("SF", "SF", "DEPPON"))
        number = (
            f"SF{rng.randint(10**12, 10**13 - 1)}"
            if code == "SF"
            else f"DPK{rng.randint(10**11, 10**12 - 1)}"
        )
    else:
        code = rng.choice(("ZTO", "DEPPON", "JDL"))
        number = {
            "ZTO": f"7{rng.randint(10**10, 10**11 - 1)}",
            "DEPPON": f"DPK{rng.randint(10**11, 10**12 - 1)}",
            "JDL": f"JDVA{rng.randint(10**10, 10**11 - 1)}",
        }[code]
    return ctx.carriers.get(code), number


def _partial_lines(order: Order) -> list[tuple[int, int]]:
    """About half of an order, in whole packs: the first lines, or half the packs of a single line."""
    lines = list(order.lines.order_by("position").values_list("pk", "quantity", "product__pack_size"))
    if len(lines) > 1:
        return [(pk, quantity) for pk, quantity, _pack in lines[: len(lines) // 2]]
    pk, quantity, pack = lines[0]
    return [(pk, quantity // pack // 2 * pack)]


class _Walker:
    """Carries one order along its plan; each service call is one transaction in its own window."""

    def __init__(self, plan: OrderPlan, order: Order, ctx: Context, clock: Clock):
        self.plan, self.order, self.ctx, self.clock = plan, order, ctx, clock
        self.rng = random.Random(f"{ctx.seed}:{plan.index}:walk")
        self.address = plan.customer.addresses[plan.address_index]

    def actor(self, role: str):
        return self.ctx.users.get(role) or self.ctx.users["manager"]

    def approver(self, actor):
        """Nobody approves their own order: what the manager keyed in, the supervisor approves."""
        if actor is not None and self.order.created_by_id == actor.pk:
            return self.ctx.users.get("supervisor") or actor
        return actor

    def approve(self, actor, reason: str) -> None:
        """Every approval the order's review asks for, level by level, each by a demo user of the step's
        group (never the order's author); the order manager's comes with the plan's reason."""
        order_approve(order_id=self.order.pk, actor=self.approver(actor), reason=reason)
        for _level in range(MAX_REVIEW_LEVEL):
            waiting = order_review_waiting_roles(order_id=self.order.pk)
            if not waiting:
                return
            role = waiting[0]
            user = self.ctx.users.get(REVIEWERS.get(role, "admin")) or self.ctx.users["admin"]
            order_approve(order_id=self.order.pk, actor=self.approver(user))

    def run(self) -> None:
        previous = self.plan.started_at
        for step, at in zip(self.plan.steps, self.plan.step_times, strict=True):
            self.step(step, at, previous)
            previous = at
        if self.plan.final_status == S.IN_PRODUCTION:
            # Builds at various stages: the first one to three stages started, the last still running.
            self.build(
                previous,
                min(self.ctx.now, previous + dt.timedelta(days=4)),
                self.actor("scheduler"),
                stages=1 + self.plan.index % 3,
            )

    def step(self, step: Step, at: dt.datetime, previous: dt.datetime) -> None:
        order_id, actor = self.order.pk, self.actor(step.role)
        simple = {
            "review": lambda: order_start_review(order_id=order_id, actor=actor),
            "approve": lambda: self.approve(actor, step.reason),
            "reject": lambda: order_reject(order_id=order_id, actor=actor, reason=step.reason),
            "hold": lambda: order_hold(order_id=order_id, actor=actor, reason=step.reason),
            "release": lambda: order_release_hold(order_id=order_id, actor=actor, reason=step.reason),
            "cancel": lambda: order_cancel(order_id=order_id, actor=actor, reason=step.reason),
            "reopen": lambda: order_reopen(order_id=order_id, actor=actor, reason=step.reason),
        }
        if step.action in simple:
            with self.clock.at(at):
                simple[step.action]()
            if step.action in ("cancel", "reject"):
                # As the worker does on the order's event: its open builds stop (done here at once, so
                # the story that follows never plans around a build that is already cancelled).
                with self.clock.at(at):
                    work_orders_cancel_for_order(order_id=order_id, actor=actor, reason=step.reason)
        elif step.to == S.ALLOCATED:
            self.allocate(at, actor)
        elif step.to == S.IN_PRODUCTION:
            self.produce(at, actor)
        elif step.to == S.READY_TO_SHIP and self.builds():
            # The last stage's finish receives the units and reserves them to the order; the order
            # moves to ready to ship by itself when every line is ready.
            self.build(previous, at, self.actor("scheduler"))
            self.order.refresh_from_db(fields=["status"])
            if self.order.status != S.READY_TO_SHIP:
                with self.clock.at(at):
                    order_transition(order_id=order_id, to=step.to, actor=actor, reason=step.reason)
        elif step.to in (S.PARTIALLY_SHIPPED, S.SHIPPED):
            self.ship(at, previous, actor, partial=step.to == S.PARTIALLY_SHIPPED)
        elif step.to == S.DELIVERED:
            self.deliver(at, actor)
        elif step.to == S.COMPLETED:
            self.complete(at, actor)
        else:
            with self.clock.at(at):
                order_transition(order_id=order_id, to=step.to, actor=actor, reason=step.reason)

    def builds(self) -> list[WorkOrder]:
        return list(
            WorkOrder.objects.filter(order_id=self.order.pk, status__in=OPEN_WORK_ORDERS).order_by("pk")
        )

    def produce(self, at: dt.datetime, actor) -> None:
        """Production schedules a work order for each built line, which puts the order in production."""
        with self.clock.at(at):
            work_orders_create_for_order(order_id=self.order.pk, actor=actor)

    def build(self, start: dt.datetime, end: dt.datetime, actor, *, stages: int | None = None) -> None:
        """Take the order's open work orders through their stages between `start` and `end` (story
        time), as the shop floor reports them; `stages`: stop after starting that many (an order still
        in production). Components the plant lacks are delivered first (a demo delivery)."""
        for work_order in self.builds():
            route = list(WorkOrderStage.objects.filter(work_order=work_order).order_by("position"))
            if stages is not None:
                route = route[:stages]
            if not route:
                continue
            self.deliver_components(work_order, start, actor)
            span = (end - start) / (len(route) + 1)
            for index, stage in enumerate(route):
                began, done = start + span * (index + 0.2), start + span * (index + 1)
                with self.clock.at(began):
                    stage_start(
                        work_order_id=work_order.pk,
                        stage_code=stage.code,
                        actor=actor,
                        at=began,
                        source="demo",
                    )
                if stages is not None and index == len(route) - 1:
                    return  # the current stage is still running
                with self.clock.at(done):
                    stage_finish(
                        work_order_id=work_order.pk,
                        stage_code=stage.code,
                        actor=actor,
                        at=done,
                        source="demo",
                    )

    def deliver_components(self, work_order: WorkOrder, at: dt.datetime, actor) -> None:
        needs = {m.component_id: m.quantity - m.reserved for m in work_order.materials.all()}
        warehouse_id = work_order.plant.warehouse_id
        available = {
            row.product_id: row.on_hand - row.reserved
            for row in StockLevel.objects.filter(product_id__in=list(needs), warehouse_id=warehouse_id)
        }
        with self.clock.at(at - dt.timedelta(hours=2)):
            for component_id, quantity in needs.items():
                short = quantity - available.get(component_id, 0)
                if short > 0:
                    stock_receive(
                        product_id=component_id,
                        warehouse_id=warehouse_id,
                        quantity=short,
                        actor=actor,
                        reason="demo component delivery",
                    )

    def allocate(self, at: dt.datetime, actor) -> None:
        """Allocation reserves the order's stock through inventory; what the network lacks is first
        received into the nearest warehouse (a demo replenishment), so the story can go on."""
        warehouse = _nearest_warehouse(self.plan, self.ctx)
        with self.clock.at(at - dt.timedelta(hours=1)):
            lines = self.order.lines.select_related("product").order_by("position")
            wanted: dict[int, int] = {}
            for line in lines:
                if line.from_stock:
                    wanted[line.product_id] = wanted.get(line.product_id, 0) + line.quantity
            available = stock_available_by_product(product_ids=list(wanted))
            for product_id, quantity in wanted.items():
                short = quantity - available.get(product_id, 0)
                if short > 0 and warehouse is not None:
                    stock_receive(
                        product_id=product_id,
                        warehouse_id=warehouse.pk,
                        quantity=short,
                        actor=actor,
                        reason="demo replenishment",
                    )
        with self.clock.at(at):
            order_allocate(order_id=self.order.pk, actor=actor)

    def ship(self, at: dt.datetime, previous: dt.datetime, actor, *, partial: bool) -> None:
        """Create, pack and dispatch shipments from the warehouses allocation reserved in (one per
        warehouse); dispatch moves the order. A full shipment is invoiced."""
        gap = at - previous
        carrier, tracking = _carrier_and_tracking(self.plan, self.ctx, self.rng)
        held = sorted({row.warehouse for row in line_allocations_held(order_id=self.order.pk)}, key=str)
        plans: list[tuple[Warehouse | None, list | None]]
        if partial:
            plans = [(held[0], None)] if len(held) > 1 else [(None, _partial_lines(self.order))]
        else:
            plans = [(warehouse, None) for warehouse in held] or [(None, None)]
        shipments = []
        for number, (warehouse, lines) in enumerate(plans):
            with self.clock.at(at - gap / 2):
                shipment = shipment_create(
                    order_id=self.order.pk, lines=lines, warehouse=warehouse, carrier=carrier, actor=actor
                )
            with self.clock.at(at - gap / 4):
                shipment_pack(shipment_id=shipment.pk, actor=actor)
            with self.clock.at(at):
                shipment_dispatch(
                    shipment_id=shipment.pk,
                    tracking_number=tracking if number == 0 else f"{tracking}-{number + 1}",
                    actor=actor,
                )
            shipments.append(shipment)
        for shipment in shipments:
            origin = shipment.warehouse.city if shipment.warehouse else "Shiyan"
            self.scan(shipment, "Picked up", origin, at + dt.timedelta(minutes=40))
            self.scan(shipment, "In transit", f"{self.address.region} hub", at + dt.timedelta(hours=16))
        if not partial:
            with self.clock.at(at):
                invoice_issue(order_id=self.order.pk, actor=self.ctx.users["finance"])
            if self.plan.customer.payment_terms_days == 0:
                self.pay(at)  # counter sales are paid on the spot

    def scan(self, shipment: Shipment, status: str, location: str, occurred_at: dt.datetime) -> None:
        if occurred_at <= self.ctx.now:
            tracking_event_add(
                shipment_id=shipment.pk, status=status, location=location, occurred_at=occurred_at
            )

    def deliver(self, at: dt.datetime, actor) -> None:
        in_transit = Shipment.objects.filter(
            order_id=self.order.pk, status=ShipmentStatus.IN_TRANSIT
        ).order_by("pk")
        for shipment in in_transit:
            self.scan(shipment, "Delivered", self.address.city, at - dt.timedelta(minutes=20))
            with self.clock.at(at):
                shipment_deliver(shipment_id=shipment.pk, actor=actor)
        if self.plan.final_status == S.DELIVERED and self.rng.random() < 0.3:
            self.pay(at + dt.timedelta(days=self.rng.uniform(1, 10)), share=self.rng.choice((0.3, 0.5)))

    def pay(self, at: dt.datetime, *, share: float = 1.0) -> None:
        invoice = Invoice.objects.filter(order_id=self.order.pk).exclude(status=InvoiceStatus.VOID).first()
        if invoice is None or invoice.balance <= 0:
            return
        at = min(at, self.ctx.now)
        amount = invoice.balance if share >= 1 else invoice.balance * Decimal(str(share))
        with self.clock.at(at):
            payment_record(
                invoice_id=invoice.pk,
                amount=amount,
                received_on=timezone.localdate(at),
                reference=f"Bank transfer {self.rng.randint(10**9, 10**10 - 1)}",
                actor=self.ctx.users["finance"],
            )

    def complete(self, at: dt.datetime, actor) -> None:
        self.pay(at - dt.timedelta(hours=self.rng.uniform(2, 48)))
        with self.clock.at(at):
            order_transition(order_id=self.order.pk, to=S.COMPLETED, actor=actor, reason="Paid in full.")


def _datetime_fields(model: type[models.Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if isinstance(f, models.DateTimeField)]


def _remap(rows: list[models.Model], clock: Clock, *, keep: tuple[str, ...] = ()) -> list[str]:
    """Move every datetime of `rows` from the real moment to the planned one; return the fields.
    `keep`: fields that are plans, not events (a work order's planned dates), left as they are."""
    if not rows:
        return []
    names = [name for name in _datetime_fields(type(rows[0])) if name not in keep]
    for row in rows:
        for name in names:
            setattr(row, name, clock.planned(getattr(row, name)))
    return names


def backdate_order(*, order_id: int, clock: Clock, requested_in_days: int | None) -> None:
    """Turn back the clock of one demo order and everything the services wrote for it.

    The one place demo data is changed outside the services, and only its time: created/updated
    and every status stamp of the order, its timeline, its shipments and its invoices (their
    timelines and payments), plus the dates that were computed from "today" at the time.
    """
    with transaction.atomic():
        order = Order.objects.get(pk=order_id)
        intake = clock.windows[0]
        shift = timezone.localdate(intake.planned) - timezone.localdate(intake.real_start)
        fields = _remap([order], clock)
        changes = {name: getattr(order, name) for name in fields}
        if order.promised_delivery_date:
            changes["promised_delivery_date"] = order.promised_delivery_date + shift
        if requested_in_days is not None:
            changes["requested_delivery_date"] = timezone.localdate(intake.planned) + dt.timedelta(
                days=requested_in_days
            )
        Order.objects.filter(pk=order_id).update(**changes)
        related = (
            (OrderEvent, OrderEvent.objects.filter(order_id=order_id)),
            (Shipment, Shipment.objects.filter(order_id=order_id)),
            (ShipmentEvent, ShipmentEvent.objects.filter(shipment__order_id=order_id)),
            (InvoiceEvent, InvoiceEvent.objects.filter(invoice__order_id=order_id)),
            (Payment, Payment.objects.filter(invoice__order_id=order_id)),
            (
                StockMovement,
                StockMovement.objects.filter(document_type="orders.order", document_id=str(order_id)),
            ),
        )
        for model, queryset in related:
            rows = list(queryset)
            names = _remap(rows, clock)
            if names:
                model.objects.bulk_update(rows, names)
        _backdate_builds(order_id=order_id, clock=clock, shift=shift)
        invoices = list(Invoice.objects.filter(order_id=order_id))
        real_issued = {invoice.pk: invoice.issued_at for invoice in invoices}
        names = _remap(invoices, clock)
        for invoice in invoices:
            if invoice.due_date and invoice.issued_at and real_issued[invoice.pk]:
                invoice.due_date += timezone.localdate(invoice.issued_at) - timezone.localdate(
                    real_issued[invoice.pk]
                )
        if names:
            Invoice.objects.bulk_update(invoices, [*names, "due_date"])


def _backdate_builds(*, order_id: int, clock: Clock, shift: dt.timedelta) -> None:
    """The order's work orders: what happened (timeline, stamps, batches, receipts) moves to the story's
    moments; a finished build's plan, computed from the real today, moves with the order's dates. Open
    builds keep their plan: it is the live schedule."""
    work_orders = list(WorkOrder.objects.filter(order_id=order_id))
    if not work_orders:
        return
    ids = [wo.pk for wo in work_orders]
    plans = ("planned_start", "planned_finish", "eta")
    related = (
        (WorkOrderEvent, WorkOrderEvent.objects.filter(work_order_id__in=ids)),
        (ProductionBatch, ProductionBatch.objects.filter(work_order_id__in=ids)),
        (
            StockMovement,
            StockMovement.objects.filter(
                document_type="production.workorder", document_id__in=[str(i) for i in ids]
            ),
        ),
    )
    for model, queryset in related:
        rows = list(queryset)
        names = _remap(rows, clock)
        if names:
            model.objects.bulk_update(rows, names)
    stages = list(WorkOrderStage.objects.filter(work_order_id__in=ids))
    names = _remap(stages, clock, keep=plans)
    if names:
        WorkOrderStage.objects.bulk_update(stages, names)
    names = _remap(work_orders, clock, keep=plans)
    for wo in work_orders:
        if wo.status not in OPEN_WORK_ORDERS:
            for name in ("planned_start", "planned_finish", "eta"):
                if getattr(wo, name):
                    setattr(wo, name, getattr(wo, name) + shift)
            if wo.promised_date:
                wo.promised_date += shift
    WorkOrder.objects.bulk_update(
        work_orders, list({*names, "planned_start", "planned_finish", "eta", "promised_date"})
    )
    done = [wo.pk for wo in work_orders if wo.status not in OPEN_WORK_ORDERS]
    for stage in WorkOrderStage.objects.filter(work_order_id__in=done):
        WorkOrderStage.objects.filter(pk=stage.pk).update(
            planned_start=stage.planned_start + shift if stage.planned_start else None,
            planned_finish=stage.planned_finish + shift if stage.planned_finish else None,
        )
    # A finished build's capacity bookings were made from the real today: the story has them in the
    # past, where the schedule no longer shows them.
    WorkOrderLoad.objects.filter(work_order_id__in=done).delete()


def order_from_plan(*, plan: OrderPlan, ctx: Context) -> Outcome | None:
    """Create one demo order, walk it to its planned status and backdate it.

    Returns None when the order cannot even be created (e.g. a product was deactivated meanwhile).
    A refusal half-way is kept as the outcome's problem: the order stays where the services left it.
    """
    clock = Clock(now=ctx.now)
    customer = ctx.customers[plan.customer.code]
    address_label = plan.customer.addresses[plan.address_index].label
    lines = [LineRequest(sku=line.sku, quantity=line.quantity, options=line.options) for line in plan.lines]
    requested = (
        timezone.localdate() + dt.timedelta(days=plan.requested_in_days)
        if plan.requested_in_days is not None
        else None
    )
    try:
        with clock.at(plan.started_at):
            order = order_create(
                customer=customer,
                channel=plan.channel,
                lines=lines,
                actor=_creator(plan, ctx),
                requested_delivery_date=requested,
                shipping_address_id=ctx.addresses.get((customer.code, address_label)),
                external_reference=plan.reference,
                notes=plan.notes,
                submit=plan.submit,
            )
    except DomainError:
        return None
    outcome = Outcome(order=order)
    try:
        _Walker(plan, order, ctx, clock).run()
    except DomainError as error:
        outcome.problem = f"{plan.reference}: {error.message}"
    backdate_order(order_id=order.pk, clock=clock, requested_in_days=plan.requested_in_days)
    outcome.order.refresh_from_db(fields=["status"])
    return outcome
