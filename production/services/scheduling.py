"""Scheduling: work orders booked on the lines that build them, at the earliest slot capacity and the
plant's calendar allow; re-sequenced, moved, split and cancelled by the production scheduler.

Capacity is booked per line and working day (WorkOrderLoad): a line's booked units on a day never
exceed its `units_per_day`. Every booking is made holding the row locks of the lines involved
(ProductionLine, select_for_update, primary-key order), so two schedulers — or two workers creating
the work orders of two approved orders — never book the same free units. Lock order: lines, then
the number sequence (core.services.sequence_next), then work orders, then the order (orders'
services, which production calls last).

A line's queue is its open work orders in `sequence` order. Re-booking a line (line_reschedule)
books them again in that order from today: units booked on past days stay where they are for work
orders in progress (that work happened); a planned one that never started is booked afresh.
Planned dates follow the bookings (production.calendar.plan_stages); a planned work order's ETA is
its planned completion, an in-progress one's is the progress services' (production.services.progress).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ConcurrentModification, Conflict, NotFound, ValidationFailed
from core.lifecycle import transition
from core.services import sequence_next
from inventory.models import Product
from inventory.receipts import expected_receipt_cancel, expected_receipt_create, expected_receipt_update
from orders.models import Order, OrderLine
from orders.services.production import order_line_production_update, order_production_started
from orders.states import OrderStatus
from production.bom import bom_requirements, family_for_product
from production.calendar import CalendarError, PlantCalendar, plan_stages
from production.models import (
    ProductFamily,
    ProductionLine,
    RoutingStage,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderLoad,
    WorkOrderMaterial,
    WorkOrderStage,
)
from production.services.materials import work_order_materials_release
from production.states import LIFECYCLE, OPEN, StageStatus, WorkOrderEventKind, WorkOrderKind, WorkOrderStatus

W = WorkOrderStatus
K = WorkOrderEventKind
# Orders whose built lines get work orders: approved, whether or not allocation ran yet, and those
# already in production (a line added by a change, a work order cancelled and made again).
SCHEDULABLE_ORDERS = frozenset({OrderStatus.APPROVED, OrderStatus.ALLOCATED, OrderStatus.IN_PRODUCTION})
MAX_WORK_ORDER_QUANTITY = 100_000


def _today() -> dt.date:
    """The first day that can still be booked (plant-local date); tests move it."""
    return timezone.localdate()


def _first_day(calendar: PlantCalendar, start: dt.date) -> dt.date:
    """`start`, unless it is today and the plant's shift is already over: then the next day."""
    now = timezone.now()
    if start == timezone.localdate(now) and calendar.day_end(start) <= now:
        return start + dt.timedelta(days=1)
    return start


# --- pure booking arithmetic ------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    line: ProductionLine
    loads: list[tuple[dt.date, int]]  # (day, units), days ascending
    stages: list[tuple[dt.datetime, dt.datetime]]

    @property
    def finish(self) -> dt.datetime:
        return self.stages[-1][1]


def book(
    calendar: PlantCalendar, *, capacity: int, booked: dict[dt.date, int], quantity: int, start: dt.date
) -> list[tuple[dt.date, int]]:
    """Where `quantity` units go on a line of `capacity` units a working day, from `start` on, around
    what is `booked` already ({day: units}): each working day takes what is free, earliest first."""
    loads, remaining = [], quantity
    for day in calendar.working_days_from(start):
        free = capacity - booked.get(day, 0)
        if free > 0:
            units = min(free, remaining)
            loads.append((day, units))
            remaining -= units
            if remaining == 0:
                return loads
    raise AssertionError("unreachable: working_days_from never ends")  # pragma: no cover


# --- reads under the locks -----------------------------------------------------------------------


def _lock_lines(line_ids) -> list[ProductionLine]:
    """Lock the lines' rows in primary-key order (evaluated here, before any write)."""
    return list(
        ProductionLine.objects.select_for_update(of=("self",))
        .filter(pk__in=list(line_ids))
        .select_related("plant")
        .order_by("pk")
    )


def _booked(line_ids, *, since: dt.date, exclude_work_orders=()) -> dict[int, dict[dt.date, int]]:
    """{line_id: {day: units booked}} from `since` on."""
    booked: dict[int, dict[dt.date, int]] = defaultdict(dict)
    rows = WorkOrderLoad.objects.filter(line_id__in=list(line_ids), day__gte=since)
    if exclude_work_orders:
        rows = rows.exclude(work_order_id__in=list(exclude_work_orders))
    for line_id, day, units in rows.values_list("line_id", "day", "units"):
        booked[line_id][day] = booked[line_id].get(day, 0) + units
    return booked


class _Calendars(dict):
    """Plant calendars read once per call (one query each)."""

    def __missing__(self, plant):
        calendar = PlantCalendar.for_plant(plant)
        self[plant] = calendar
        return calendar


def _calendar_error(exc: CalendarError) -> ValidationFailed:
    return ValidationFailed(
        _("The plant's calendar has no working day: check its working weekdays and calendar days."),
        fields={"plant": [str(exc)]},
    )


def _candidate_lines(family: ProductFamily, *, plant_id: int | None = None):
    lines = ProductionLine.objects.filter(
        family_id=family.pk, is_active=True, plant__is_active=True, plant__warehouse__isnull=False
    )
    if plant_id is not None:
        lines = lines.filter(plant_id=plant_id)
    return lines


def _durations(stages) -> list:
    return [stage.standard_days for stage in stages]


# --- creating ----------------------------------------------------------------------------------------


def _validate(product: Product | None, quantity, *, plant_id: int | None):
    """(family, routing, candidate line ids) or ValidationFailed naming the field at fault."""
    if product is None:
        raise ValidationFailed(fields={"product": [_("Choose an existing product.")]})
    if not 1 <= int(quantity) <= MAX_WORK_ORDER_QUANTITY:
        raise ValidationFailed(
            fields={
                "quantity": [_("Enter a quantity between 1 and %(max)d.") % {"max": MAX_WORK_ORDER_QUANTITY}]
            }
        )
    family = family_for_product(product)
    if family is None:
        raise ValidationFailed(
            fields={
                "product": [
                    _("%(sku)s belongs to no product family: production does not build its category.")
                    % {"sku": product.sku}
                ]
            }
        )
    routing = list(RoutingStage.objects.filter(family_id=family.pk).order_by("position"))
    if not routing:
        raise ValidationFailed(
            fields={"product": [_("The family %(family)s has no routing stages.") % {"family": family.name}]}
        )
    line_ids = list(_candidate_lines(family, plant_id=plant_id).values_list("pk", flat=True))
    if not line_ids:
        field = "plant" if plant_id is not None else "product"
        raise ValidationFailed(
            fields={
                field: [
                    _("No active line of an active plant with a warehouse builds the family %(family)s.")
                    % {"family": family.name}
                ]
            }
        )
    return family, routing, line_ids


def _best_slot(lines, routing, quantity: int, start: dt.date, calendars) -> Slot:
    """The line finishing the work order first (ties: the lower line id), with its bookings and plan."""
    booked = _booked([line.pk for line in lines], since=start)
    best = None
    for line in lines:
        calendar = calendars[line.plant]
        try:
            loads = book(
                calendar,
                capacity=line.units_per_day,
                booked=booked.get(line.pk, {}),
                quantity=quantity,
                start=_first_day(calendar, start),
            )
        except CalendarError as exc:
            raise _calendar_error(exc) from exc
        stages = plan_stages(
            calendar,
            first_day=loads[0][0],
            last_day=loads[-1][0],
            durations=_durations(routing),
            not_before=timezone.now(),
        )
        slot = Slot(line=line, loads=loads, stages=stages)
        if best is None or slot.finish < best.finish:
            best = slot
    return best


def _number() -> str:
    year = timezone.localdate().year
    return f"WO-{year}-{sequence_next(name=f'work_order:{year}'):06d}"


def _next_sequence(line_id: int) -> int:
    last = WorkOrder.objects.filter(line_id=line_id).aggregate(last=Max("sequence"))["last"]
    return (last or 0) + 1


def _copy_plan(work_order: WorkOrder, routing, slot: Slot) -> None:
    WorkOrderLoad.objects.bulk_create(
        [
            WorkOrderLoad(work_order=work_order, line=slot.line, day=day, units=units)
            for day, units in slot.loads
        ]
    )
    WorkOrderStage.objects.bulk_create(
        [
            WorkOrderStage(
                work_order=work_order,
                position=stage.position,
                code=stage.code,
                name=stage.name,
                standard_days=stage.standard_days,
                planned_start=start,
                planned_finish=finish,
            )
            for stage, (start, finish) in zip(routing, slot.stages, strict=True)
        ]
    )


def _copy_materials(work_order: WorkOrder) -> None:
    needs = bom_requirements(
        product_id=work_order.product_id, options=work_order.options or {}, quantity=work_order.quantity
    )
    WorkOrderMaterial.objects.bulk_create(
        [
            WorkOrderMaterial(work_order=work_order, component_id=component_id, quantity=units)
            for component_id, units in sorted(needs.items())
        ]
    )


def _plan_data(work_order: WorkOrder, *, earliest: dt.date | None) -> dict:
    return {
        "line": work_order.line.code if work_order.line_id else "",
        "planned_start": work_order.planned_start.isoformat() if work_order.planned_start else None,
        "planned_finish": work_order.planned_finish.isoformat() if work_order.planned_finish else None,
        "earliest": earliest.isoformat() if earliest else None,
    }


def _local_date(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(moment) if moment else None


def _create(
    *,
    product: Product,
    quantity: int,
    options: dict,
    order_line: OrderLine | None,
    plant_id: int | None,
    earliest: dt.date | None,
    actor,
    sequence_after: WorkOrder | None = None,
    promised_date: dt.date | None = None,
    split_from: WorkOrder | None = None,
    line_only: ProductionLine | None = None,
) -> WorkOrder:
    family, routing, line_ids = _validate(product, quantity, plant_id=plant_id)
    lines = [line_only] if line_only is not None else _lock_lines(line_ids)
    start = max(_today(), earliest) if earliest else _today()
    calendars = _Calendars()
    slot = _best_slot(lines, routing, int(quantity), start, calendars)
    line = slot.line
    if sequence_after is not None:
        # Right behind the work order it was split from: the ones after it move one place down.
        sequence = sequence_after.sequence + 1
        WorkOrder.objects.filter(line_id=line.pk, sequence__gte=sequence).exclude(
            pk=sequence_after.pk
        ).update(sequence=F("sequence") + 1)
    else:
        sequence = _next_sequence(line.pk)
    finish = slot.finish
    work_order = WorkOrder.objects.create(
        number=_number(),
        kind=WorkOrderKind.ORDER if order_line is not None else WorkOrderKind.STOCK,
        order_id=order_line.order_id if order_line is not None else None,
        order_line=order_line,
        product=product,
        options=dict(options or {}),
        plant=line.plant,
        line=line,
        sequence=sequence,
        quantity=int(quantity),
        status=W.PLANNED,
        planned_start=slot.stages[0][0],
        planned_finish=finish,
        earliest_start=earliest,
        promised_date=promised_date or timezone.localdate(finish),
        eta=finish,
        warehouse_id=line.plant.warehouse_id,
        split_from=split_from,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _copy_plan(work_order, routing, slot)
    _copy_materials(work_order)
    if order_line is None:
        receipt = expected_receipt_create(
            product_id=product.pk,
            warehouse_id=line.plant.warehouse_id,
            quantity=work_order.quantity,
            expected_on=timezone.localdate(finish),
            reference=work_order.number,
            actor=actor,
        )
        work_order.expected_receipt = receipt
        work_order.save(update_fields=["expected_receipt", "updated_at"])
    WorkOrderEvent.record(
        work_order=work_order,
        kind=K.PLANNED,
        actor=actor,
        to_status=W.PLANNED,
        data={**_plan_data(work_order, earliest=earliest), "quantity": work_order.quantity},
    )
    LIFECYCLE.announce(work_order, K.PLANNED)
    if order_line is not None:
        _tell_line(order_line.pk, actor=actor, step={"event": "scheduled", "work_order": work_order.number})
    return work_order


def work_order_create(
    *,
    product_id: int,
    quantity: int,
    options: dict | None = None,
    order_line_id: int | None = None,
    plant_id: int | None = None,
    earliest: dt.date | None = None,
    actor=None,
) -> WorkOrder:
    """Create and schedule a work order: for an order line (its product, configuration) or, without
    one, to stock.

    Books capacity at the earliest slot on an active line of an active plant with a warehouse that
    builds the product's family (`plant_id` restricts the plants; `earliest` the first day; never
    before today): the line whose plan finishes first. Copies the family's routing (stages with
    their planned dates) and the bill of materials for the configuration. Its planned completion
    date is its promised date; for an order line, the line's promised date and ETA are written
    through orders.services.order_line_production_update (a "scheduled" timeline step); to stock,
    an inventory ExpectedReceipt into the plant's warehouse on that date (available-to-promise
    counts it). Records the work order's "planned" timeline entry and emits `work_order.planned`.
    Raises ValidationFailed (no such product, quantity, no family, no routing, no line), NotFound
    (order line).
    """
    with transaction.atomic():
        order_line = None
        if order_line_id is not None:
            order_line = OrderLine.objects.select_related("product").filter(pk=order_line_id).first()
            if order_line is None:
                raise NotFound()
            product, options = order_line.product, order_line.options if options is None else options
        else:
            product = Product.objects.filter(pk=product_id, is_active=True).first()
        return _create(
            product=product,
            quantity=quantity,
            options=options or {},
            order_line=order_line,
            plant_id=plant_id,
            earliest=earliest,
            actor=actor,
        )


def work_orders_create_for_order(*, order_id: int, actor=None) -> list[WorkOrder]:
    """Give every built line of an approved order (custom builds, made-to-order products) its work
    order, then move the order into production (orders.services.order_production_started).

    Idempotent: a line that already has an open or done work order gets none; an order that is not
    approved, allocated or in production is left alone (returns []). All lines or none: a line
    production cannot schedule raises ValidationFailed (its position named) and nothing is written.
    Locks every line that could build one of them first, so two runs for the same order queue.
    """
    with transaction.atomic():
        order = Order.objects.filter(pk=order_id).first()
        if order is None:
            raise NotFound()
        if order.status not in SCHEDULABLE_ORDERS:
            return []
        built = [
            line
            for line in OrderLine.objects.filter(order_id=order.pk)
            .select_related("product")
            .order_by("position")
            if not line.from_stock
        ]
        if not built:
            return []
        families = {line.pk: family_for_product(line.product) for line in built}
        candidate = set()
        for family in {f for f in families.values() if f is not None}:
            candidate.update(_candidate_lines(family).values_list("pk", flat=True))
        _lock_lines(candidate)
        scheduled = set(
            WorkOrder.objects.filter(order_line_id__in=[line.pk for line in built])
            .exclude(status=W.CANCELLED)
            .values_list("order_line_id", flat=True)
        )
        created = []
        for line in built:
            if line.pk in scheduled:
                continue
            try:
                created.append(
                    _create(
                        product=line.product,
                        quantity=line.quantity,
                        options=line.options or {},
                        order_line=line,
                        plant_id=None,
                        earliest=None,
                        actor=actor,
                    )
                )
            except ValidationFailed as exc:
                raise ValidationFailed(
                    _("Line %(position)d (%(sku)s) cannot be scheduled.")
                    % {"position": line.position, "sku": line.sku},
                    fields={f"lines[{line.position}].{name}": msgs for name, msgs in exc.fields.items()},
                ) from exc
        if created or scheduled:
            order_production_started(order_id=order.pk, actor=actor)
        return created


# --- the line's summary on the order ------------------------------------------------------------------


def _tell_line(line_id: int, *, actor, step: dict | None = None) -> None:
    """Write the order line's promised date and ETA from its open work orders (the latest of them:
    the line is ready when its last unit is)."""
    rows = list(
        WorkOrder.objects.filter(order_line_id=line_id, status__in=OPEN).values_list("promised_date", "eta")
    )
    promised = max((p for p, _eta in rows if p), default=None)
    eta = max((_local_date(e) for _p, e in rows if e), default=None)
    kwargs = {"line_id": line_id, "actor": actor, "step": step}
    if rows:
        kwargs.update(promised_date=promised, eta=eta)
    order_line_production_update(**kwargs)


# --- re-booking a line ----------------------------------------------------------------------------


def _rebook(line: ProductionLine, *, actor, reason: dict | None = None) -> list[WorkOrder]:
    """Book the line's open work orders again, in sequence order, from today (the line is locked).

    Returns the work orders whose planned dates moved (saved, with a "rescheduled" entry each).
    """
    today = _today()
    calendar = PlantCalendar.for_plant(line.plant)
    queue = list(
        WorkOrder.objects.filter(line_id=line.pk, status__in=OPEN)
        .select_related("plant")
        .order_by("sequence", "pk")
    )
    ids = [wo.pk for wo in queue]
    # Work done: the past days of work orders in progress. Everything else is booked again.
    kept: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for work_order_id, day, units in (
        WorkOrderLoad.objects.filter(work_order_id__in=ids, day__lt=today, work_order__status=W.IN_PROGRESS)
        .order_by("day")
        .values_list("work_order_id", "day", "units")
    ):
        kept[work_order_id].append((day, units))
    WorkOrderLoad.objects.filter(work_order_id__in=ids).exclude(
        day__lt=today, work_order__status=W.IN_PROGRESS
    ).delete()
    booked = _booked([line.pk], since=today, exclude_work_orders=ids).get(line.pk, {})
    stages_of: dict[int, list[WorkOrderStage]] = defaultdict(list)
    for stage in WorkOrderStage.objects.filter(work_order_id__in=ids).order_by("position"):
        stages_of[stage.work_order_id].append(stage)
    moved, new_loads, changed_stages, entries = [], [], [], []
    now = timezone.now()
    for work_order in queue:
        remaining = work_order.quantity - sum(units for _day, units in kept[work_order.pk])
        loads = list(kept[work_order.pk])
        if remaining > 0:
            start = _first_day(calendar, max(today, work_order.earliest_start or today))
            try:
                fresh = book(
                    calendar, capacity=line.units_per_day, booked=booked, quantity=remaining, start=start
                )
            except CalendarError as exc:
                raise _calendar_error(exc) from exc
            for day, units in fresh:
                booked[day] = booked.get(day, 0) + units
            loads += fresh
            new_loads += [WorkOrderLoad(work_order=work_order, line=line, day=d, units=u) for d, u in fresh]
        if not loads:  # a work order with no units left to book keeps its plan
            continue
        stages = stages_of[work_order.pk]
        plans = plan_stages(
            calendar,
            first_day=loads[0][0],
            last_day=loads[-1][0],
            durations=_durations(stages),
            not_before=timezone.now(),
        )
        for stage, (start_at, finish_at) in zip(stages, plans, strict=True):
            if stage.status != StageStatus.DONE and (stage.planned_start, stage.planned_finish) != (
                start_at,
                finish_at,
            ):
                stage.planned_start, stage.planned_finish = start_at, finish_at
                changed_stages.append(stage)
        before = (work_order.planned_start, work_order.planned_finish)
        planned_start = before[0] if work_order.status == W.IN_PROGRESS and before[0] else plans[0][0]
        after = (planned_start, plans[-1][1])
        if after == before:
            continue
        work_order.planned_start, work_order.planned_finish = after
        work_order.updated_at = now
        if work_order.status == W.PLANNED:
            work_order.eta = work_order.planned_finish
        entries.append(
            WorkOrderEvent(
                work_order=work_order,
                kind=K.RESCHEDULED,
                actor=actor if getattr(actor, "pk", None) else None,
                data={
                    **(reason or {}),
                    "line": line.code,
                    "previous_start": before[0].isoformat() if before[0] else None,
                    "previous_finish": before[1].isoformat() if before[1] else None,
                    "planned_start": after[0].isoformat(),
                    "planned_finish": after[1].isoformat(),
                },
            )
        )
        moved.append(work_order)
    # One statement each for the whole queue, whatever its length (a long line re-sequenced moves
    # hundreds of work orders).
    WorkOrderLoad.objects.bulk_create(new_loads)
    WorkOrderStage.objects.bulk_update(changed_stages, ["planned_start", "planned_finish"], batch_size=500)
    WorkOrder.objects.bulk_update(
        moved, ["planned_start", "planned_finish", "eta", "updated_at"], batch_size=500
    )
    WorkOrderEvent.objects.bulk_create(entries)
    for work_order in moved:
        _follow(work_order, actor=actor)
    return moved


def _follow(work_order: WorkOrder, *, actor) -> None:
    """What hangs on a work order's dates follows them: its expected receipt, its order line's ETA."""
    if work_order.expected_receipt_id:
        expected_receipt_update(
            receipt_id=work_order.expected_receipt_id,
            # An overdue run is still expected: from today on (a receipt's date is never in the past).
            expected_on=max(timezone.localdate(), timezone.localdate(work_order.planned_finish)),
        )
    if work_order.order_line_id and work_order.status == W.PLANNED:
        _tell_line(work_order.order_line_id, actor=actor)


def line_reschedule(*, line_id: int, actor=None) -> int:
    """Book the line's open work orders again in sequence order from today and recompute every
    planned date behind them.

    Work orders in progress keep the units booked on past days (and their planned start); the rest
    is booked afresh, never before a work order's earliest day. Planned work orders' ETAs follow
    their planned completion, and so do their expected receipts (make to stock) and their order
    lines' ETAs (orders.services.order_line_production_update: `order.eta_changed` when it moves).
    Each work order whose dates moved gets a "rescheduled" timeline entry. Returns how many moved.
    Raises NotFound.
    """
    with transaction.atomic():
        lines = _lock_lines([line_id])
        if not lines:
            raise NotFound()
        return len(_rebook(lines[0], actor=actor))


# --- the scheduler's moves ------------------------------------------------------------------------


def _lock_for(work_order_id: int, *, extra_line_ids=()) -> tuple[dict[int, ProductionLine], WorkOrder]:
    """Lock the work order's line (and `extra_line_ids`) in primary-key order, then the work order.

    Returns ({line_id: line}, work_order). Raises NotFound; ConcurrentModification when the work order
    changed lines between the read and the locks (a move at the same moment).
    """
    line_id = WorkOrder.objects.filter(pk=work_order_id).values_list("line_id", flat=True).first()
    if line_id is None and not WorkOrder.objects.filter(pk=work_order_id).exists():
        raise NotFound()
    lines = {line.pk: line for line in _lock_lines({line_id, *extra_line_ids} - {None})}
    work_order = WorkOrder.objects.select_for_update(of=("self",)).filter(pk=work_order_id).first()
    if work_order is None:
        raise NotFound()
    if work_order.line_id != line_id:
        raise ConcurrentModification()
    return lines, work_order


def _refuse_unlined(work_order: WorkOrder) -> None:
    if work_order.line_id is None:
        raise Conflict(
            _("Work order %(number)s is on no production line.") % {"number": work_order.number},
            extra={"work_order": work_order.number},
        )


def _refuse_closed(work_order: WorkOrder) -> None:
    if work_order.status not in OPEN:
        raise Conflict(
            _("Work order %(number)s is “%(status)s”: only open work orders are scheduled.")
            % {"number": work_order.number, "status": work_order.get_status_display()},
            extra={"work_order": work_order.number, "status": work_order.status},
        )


def work_order_resequence(*, work_order_id: int, position: int, actor=None) -> WorkOrder:
    """Put an open work order at `position` (1 = first) in its line's queue, and re-book the line:
    the work orders it passes move back, itself forward (or the other way round).

    Raises NotFound, Conflict (closed), ValidationFailed (position out of range).
    """
    with transaction.atomic():
        lines, work_order = _lock_for(work_order_id)
        _refuse_closed(work_order)
        _refuse_unlined(work_order)
        line = lines[work_order.line_id]
        queue = list(WorkOrder.objects.filter(line_id=line.pk, status__in=OPEN).order_by("sequence", "pk"))
        if not 1 <= int(position) <= len(queue):
            raise ValidationFailed(
                fields={"position": [_("Enter a position between 1 and %(max)d.") % {"max": len(queue)}]}
            )
        previous = next(i for i, wo in enumerate(queue, start=1) if wo.pk == work_order.pk)
        if previous == int(position):
            return work_order
        queue.remove(next(wo for wo in queue if wo.pk == work_order.pk))
        queue.insert(int(position) - 1, work_order)
        for sequence, wo in enumerate(queue, start=1):
            if wo.sequence != sequence:
                WorkOrder.objects.filter(pk=wo.pk).update(sequence=sequence)
        _rebook(line, actor=actor, reason={"reason": "resequenced", "work_order": work_order.number})
        WorkOrderEvent.record(
            work_order=work_order,
            kind=K.RESCHEDULED,
            actor=actor,
            data={"reason": "resequenced", "previous_position": previous, "position": int(position)},
        )
        work_order.refresh_from_db()
        return work_order


def work_order_move(*, work_order_id: int, line_id: int, actor=None) -> WorkOrder:
    """Move a planned work order to another line building its family (another plant's too): it joins
    the end of that line's queue; both lines are re-booked.

    Raises NotFound, Conflict (closed, or in progress: its past work stays on its line),
    ValidationFailed (the line does not build the family, is inactive, or its plant is inactive or
    has no warehouse).
    """
    with transaction.atomic():
        if not ProductionLine.objects.filter(pk=line_id).exists():
            raise ValidationFailed(fields={"line": [_("Choose an existing production line.")]})
        locked, work_order = _lock_for(work_order_id, extra_line_ids=[line_id])
        target = locked[line_id]
        source_id = work_order.line_id
        _refuse_closed(work_order)
        if work_order.status != W.PLANNED:
            raise Conflict(
                _("Work order %(number)s has started: it stays on its line.") % {"number": work_order.number},
                extra={"work_order": work_order.number, "status": work_order.status},
            )
        if target.pk == work_order.line_id:
            return work_order
        family = family_for_product(work_order.product)
        allowed = family is not None and _candidate_lines(family).filter(pk=target.pk).exists()
        if not allowed:
            raise ValidationFailed(
                fields={
                    "line": [
                        _("Line %(line)s cannot build this work order: another family, or not active.")
                        % {"line": str(target)}
                    ]
                }
            )
        old_plant = work_order.plant
        WorkOrderLoad.objects.filter(work_order_id=work_order.pk).delete()
        work_order.line, work_order.plant = target, target.plant
        work_order.warehouse_id = target.plant.warehouse_id
        work_order.sequence = _next_sequence(target.pk)
        work_order.save(update_fields=["line", "plant", "warehouse", "sequence", "updated_at"])
        if work_order.expected_receipt_id and old_plant.warehouse_id != target.plant.warehouse_id:
            _replace_receipt(work_order, actor=actor)
        WorkOrderEvent.record(
            work_order=work_order,
            kind=K.RESCHEDULED,
            actor=actor,
            data={"reason": "moved", "from_line": str(locked.get(source_id, "")), "to_line": str(target)},
        )
        reason = {"reason": "moved", "work_order": work_order.number}
        for line in locked.values():
            _rebook(line, actor=actor, reason=reason)
        work_order.refresh_from_db()
        return work_order


def _replace_receipt(work_order: WorkOrder, *, actor) -> None:
    """The units now arrive in another warehouse: announce them there instead."""
    expected_receipt_cancel(receipt_id=work_order.expected_receipt_id)
    work_order.expected_receipt = expected_receipt_create(
        product_id=work_order.product_id,
        warehouse_id=work_order.warehouse_id,
        quantity=work_order.quantity,
        expected_on=max(_today(), timezone.localdate(work_order.planned_finish)),
        reference=work_order.number,
        actor=actor,
    )
    work_order.save(update_fields=["expected_receipt", "updated_at"])


def work_order_split(*, work_order_id: int, quantity: int, actor=None) -> WorkOrder:
    """Split `quantity` units off a planned work order into a new one, right behind it in the queue of
    the same line; the line is re-booked (the original finishes earlier, the rest follows).

    The new work order builds the same product and configuration, for the same order line (same
    promised date) or to stock (its own expected receipt; the original's shrinks). Both get a
    "split" timeline entry. Returns the new work order.
    Raises NotFound, Conflict (not planned), ValidationFailed (quantity not between 1 and the
    work order's quantity − 1).
    """
    with transaction.atomic():
        lines, work_order = _lock_for(work_order_id)
        _refuse_closed(work_order)
        _refuse_unlined(work_order)
        line = lines[work_order.line_id]
        if work_order.status != W.PLANNED:
            raise Conflict(
                _("Work order %(number)s has started: it can no longer be split.")
                % {"number": work_order.number},
                extra={"work_order": work_order.number, "status": work_order.status},
            )
        if not 1 <= int(quantity) < work_order.quantity:
            raise ValidationFailed(
                fields={
                    "quantity": [
                        _("Enter a quantity between 1 and %(max)d.") % {"max": work_order.quantity - 1}
                    ]
                }
            )
        quantity = int(quantity)
        work_order.quantity -= quantity
        work_order.save(update_fields=["quantity", "updated_at"])
        # The original keeps its materials list in step with its quantity (nothing is reserved yet).
        WorkOrderMaterial.objects.filter(work_order_id=work_order.pk).delete()
        _copy_materials(work_order)
        if work_order.expected_receipt_id:
            expected_receipt_update(receipt_id=work_order.expected_receipt_id, quantity=work_order.quantity)
        earliest = work_order.earliest_start
        # Booked on the same line: its queue position is right behind the original.
        WorkOrderLoad.objects.filter(work_order_id=work_order.pk).delete()
        new = _create(
            product=work_order.product,
            quantity=quantity,
            options=work_order.options,
            order_line=work_order.order_line,
            plant_id=line.plant_id,
            earliest=earliest,
            actor=actor,
            sequence_after=work_order,
            promised_date=work_order.promised_date,
            split_from=work_order,
            line_only=line,
        )
        data = {
            "from": work_order.number,
            "into": new.number,
            "quantity": quantity,
            "remaining": work_order.quantity,
        }
        WorkOrderEvent.record(work_order=work_order, kind=K.SPLIT, actor=actor, data=data)
        WorkOrderEvent.record(work_order=new, kind=K.SPLIT, actor=actor, data=data)
        _rebook(line, actor=actor, reason={"reason": "split", "work_order": work_order.number})
        new.refresh_from_db()
        return new


def work_order_cancel(*, work_order_id: int, actor=None, reason: str = "") -> WorkOrder:
    """Cancel an open work order: its capacity bookings are freed, its materials released
    (production.services.materials), its expected receipt withdrawn (make to stock); the order line
    is told ("cancelled" step). The lifecycle writes the timeline entry and emits
    `work_order.cancelled`. The other work orders of the line keep their dates.
    Idempotent on a cancelled work order. Raises NotFound, InvalidTransition (done).
    """
    with transaction.atomic():
        _lines, work_order = _lock_for(work_order_id)
        if work_order.status == W.CANCELLED:
            return work_order
        if not LIFECYCLE.allows(work_order, W.CANCELLED):
            raise LIFECYCLE.refusal(work_order, W.CANCELLED)
        WorkOrderLoad.objects.filter(work_order_id=work_order.pk).delete()
        work_order_materials_release(work_order_id=work_order.pk, actor=actor)
        receipt_id = work_order.expected_receipt_id
        changes = {}
        if receipt_id:
            changes["expected_receipt"] = None
        work_order, _changed = transition(
            LIFECYCLE,
            work_order.pk,
            W.CANCELLED,
            actor=actor,
            reason=reason,
            changes=changes,
            locked=work_order,
        )
        if receipt_id:
            expected_receipt_cancel(receipt_id=receipt_id)
        if work_order.order_line_id:
            _tell_line(
                work_order.order_line_id,
                actor=actor,
                step={"event": "cancelled", "work_order": work_order.number},
            )
        return work_order


def work_orders_cancel_for_order(*, order_id: int, actor=None, reason: str = "") -> list[WorkOrder]:
    """Cancel the open work orders of an order (cancelled or rejected): see work_order_cancel.

    Idempotent: an order without open work orders changes nothing. Returns the work orders cancelled.
    """
    with transaction.atomic():
        ids = list(
            WorkOrder.objects.filter(order_id=order_id, status__in=OPEN)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        return [work_order_cancel(work_order_id=pk, actor=actor, reason=reason) for pk in ids]
