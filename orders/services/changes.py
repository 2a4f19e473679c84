"""Changes to a placed order (issue #9): lines, quantities, options, dates and address.

One service, `order_change`, serves every interface: the dealer API's PATCH (through order_update,
before approval), the sales-rep portal (before approval) and the order managers' admin (until the
goods are being shipped). Who may change an order in which status is the caller's `within`
(orders.states: EDITABLE, BEFORE_APPROVAL, CHANGEABLE); the lifecycle's limit is the same for all.

Pricing: a line that is added, or whose quantity or options change, is priced again through
pricing.services.price_lines, as at intake (the same validation, Decimal amounts and rounding); a
line left alone keeps the price it was ordered at. The totals are the sums of the lines' rounded
amounts and the shipping fee follows the new weight, subtotal and address, as at intake. The
promised delivery date is worked out again (available-to-promise, orders.services.intake) counting
what is already reserved for the order as its own.

Stock, for an order allocation has already looked at: a reduced line gives back what it no longer
needs, a removed line (or one production now builds) all it holds (orders.services.allocation
.allocation_reduce, through inventory's ledger); then allocation runs again for what the lines still
need (added lines, higher quantities), so `allocation_status` and the recorded decision stay true.

The change is written down as one `order.updated` timeline entry whose data is a diff —
{"header": [{field, from, to}], "lines": [{line, sku, change, from, to}]} — that orders.timeline
renders in words in the reader's language.
"""

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from core import events
from core.errors import ConcurrentModification, ValidationFailed
from core.money import ZERO
from inventory.models import Product
from inventory.selectors import stock_available_expression, stock_incoming_expression
from orders import locks
from orders.errors import DuplicateExternalReference, LineBeingBuilt, OrderNotEditable
from orders.models import AllocationStatus, Order, OrderEvent, OrderLine
from orders.selectors import order_find_by_external_reference
from orders.services.allocation import allocation_after_change, allocation_reduce
from orders.services.commitments import commitments_sync
from orders.services.intake import _promises, _resolve_shipping_address, _validate_requested_date
from orders.services.review import order_review_rerun
from orders.states import CHANGEABLE, EDITABLE, OrderEventKind, OrderStatus, can_change
from pricing.services import MAX_LINES_AMOUNT, LineRequest, PricedLine, price_lines, shipping_estimate

S = OrderStatus


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


# "Not given": leaves a field as it is (None clears the requested delivery date).
UNSET: Final = _Unset()


class LineChangeKind:
    """What happened to a line, as the diff records it (`lines[].change`)."""

    ADDED = "added"
    REMOVED = "removed"
    QUANTITY = "quantity"
    OPTIONS = "options"
    PRICE = "price"


@dataclass(frozen=True)
class LineChange:
    """One change to an order's lines.

    Without `line_id`: add a line (`sku` and `quantity` required, `options` optional). With it: that
    line's new `quantity` and/or `options` (None: unchanged), or `remove` it. A line's product
    cannot change: remove the line and add another.
    """

    line_id: int | None = None
    sku: str = ""
    quantity: int | None = None
    options: dict[str, str] | None = None
    remove: bool = False


@dataclass
class _Target:
    """A line of the order as it will be: an existing row (changed or not) or a new one."""

    path: str  # where the caller asked for it: "lines[i]" (an untouched line: "")
    sku: str
    quantity: int
    options: dict
    line: OrderLine | None = None
    priced: PricedLine | None = None
    position: int = 0  # of a new line: after the order's lines before the change, removed ones too

    @property
    def repriced(self) -> bool:
        line = self.line
        return line is None or self.quantity != line.quantity or self.options != (line.options or {})


@dataclass
class _Plan:
    targets: list[_Target] = field(default_factory=list)
    removed: list[tuple[OrderLine, str]] = field(default_factory=list)


@dataclass(frozen=True)
class _AtpLine:
    product: Product
    quantity: int
    is_custom_build: bool


def _check_scope(order: Order, within: AbstractSet[str]) -> None:
    if can_change(order.status, status_before_hold=order.status_before_hold, within=within):
        return
    managers_may = can_change(order.status, status_before_hold=order.status_before_hold, within=CHANGEABLE)
    raise OrderNotEditable(order=order, by_managers=managers_may)


def _in_production(order: Order) -> bool:
    return S.IN_PRODUCTION in (order.status, order.status_before_hold if order.status == S.ON_HOLD else "")


# --- which lines change ------------------------------------------------------------------------


def _plan_changes(lines: list[OrderLine], changes: Sequence[LineChange], errors: dict) -> _Plan:
    by_id = {line.pk: line for line in lines}
    seen: set[int] = set()
    updates: dict[int, tuple[str, LineChange]] = {}
    added: list[_Target] = []
    removed: list[tuple[OrderLine, str]] = []
    for index, change in enumerate(changes):
        path = f"lines[{index}]"
        if change.line_id is None:
            sku = (change.sku or "").strip()
            if not sku:
                errors[f"{path}.sku"] = [_("This field is required.")]
            if change.quantity is None:
                errors[f"{path}.quantity"] = [_("This field is required.")]
            if sku and change.quantity is not None:
                added.append(_Target(path, sku, change.quantity, dict(change.options or {})))
            continue
        line = by_id.get(change.line_id)
        if line is None:
            errors[path] = [_("Not a line of this order.")]
        elif change.line_id in seen:
            errors[path] = [_("This line is changed twice.")]
        elif change.sku and change.sku.strip() != line.sku:
            errors[f"{path}.sku"] = [_("A line's product cannot change: remove the line and add another.")]
        elif change.remove:
            removed.append((line, path))
        else:
            updates[line.pk] = (path, change)
        seen.add(change.line_id)
    plan = _Plan(removed=removed)
    gone = {line.pk for line, _path in removed}
    for line in lines:
        if line.pk in gone:
            continue
        path, change = updates.get(line.pk, ("", LineChange()))
        plan.targets.append(
            _Target(
                path,
                line.sku,
                line.quantity if change.quantity is None else change.quantity,
                dict(line.options or {}) if change.options is None else dict(change.options),
                line=line,
            )
        )
    plan.targets.extend(added)
    return plan


def _plan_replacement(lines: list[OrderLine], requests: Sequence[LineRequest]) -> _Plan:
    """Lines replaced by a full list (the dealer API): each request keeps the existing line with the
    same SKU and options if there is one (its quantity may change), else one with the same SKU (its
    options change), else it is a new line; lines nobody asked for again are removed. So a dealer who
    sends the whole list back with one quantity changed changes one line, and the diff says so."""
    matched: dict[int, OrderLine] = {}
    free = list(lines)

    def take(index: int, same) -> None:
        for line in free:
            if same(line, requests[index]):
                matched[index] = line
                free.remove(line)
                return

    for index in range(len(requests)):
        take(index, lambda line, r: line.sku == r.sku and (line.options or {}) == dict(r.options or {}))
    for index in range(len(requests)):
        if index not in matched:
            take(index, lambda line, r: line.sku == r.sku)
    plan = _Plan(removed=[(line, "lines") for line in free])
    kept = sorted((matched[i].position, i) for i in matched)
    sequence = [i for _position, i in kept] + [i for i in range(len(requests)) if i not in matched]
    for index in sequence:
        request = requests[index]
        plan.targets.append(
            _Target(
                f"lines[{index}]",
                request.sku.strip(),
                request.quantity,
                dict(request.options or {}),
                line=matched.get(index),
            )
        )
    return plan


_LINE_PATH = re.compile(r"^lines\[(\d+)\](.*)$")


def _price(order: Order, plan: _Plan, errors: dict):
    """Price the lines that are new or changed, as at intake; their errors keep the caller's paths."""
    repriced = [target for target in plan.targets if target.repriced]
    if not repriced:
        return None
    try:
        priced = price_lines(
            customer=order.customer,
            lines=[LineRequest(sku=t.sku, quantity=t.quantity, options=t.options) for t in repriced],
        )
    except ValidationFailed as exc:
        for path, messages in exc.fields.items():
            match = _LINE_PATH.match(path)
            where = repriced[int(match[1])].path + match[2] if match else path
            errors.setdefault(where, []).extend(messages)
        return None
    for target, line in zip(repriced, priced.lines, strict=True):
        target.priced = line
    return priced.reference


def _check_lines(order: Order, plan: _Plan, errors: dict) -> None:
    """What the lifecycle and fulfilment forbid: lines production is building, below what shipped."""
    if not plan.targets:
        errors.setdefault("lines", []).append(_("An order needs at least one line."))
    elif len(plan.targets) > settings.ORDER_MAX_LINES:
        errors.setdefault("lines", []).append(
            _("At most %(max)d lines per order.") % {"max": settings.ORDER_MAX_LINES}
        )
    for line, path in plan.removed:
        if line.quantity_shipped:
            errors.setdefault(path, []).append(
                _("%(sku)s: %(shipped)d already shipped; the line cannot be removed.")
                % {"sku": line.sku, "shipped": line.quantity_shipped}
            )
    for target in plan.targets:
        line = target.line
        if line is not None and target.quantity < line.quantity_shipped:
            errors.setdefault(f"{target.path}.quantity", []).append(
                _("%(shipped)d already shipped: the quantity cannot be lower.")
                % {"shipped": line.quantity_shipped}
            )
    if errors or not _in_production(order):
        return
    # In production, the lines being built are production's: neither changed, removed nor added.
    for line, path in plan.removed:
        if not line.from_stock:
            raise LineBeingBuilt(order_number=order.number, sku=line.sku, path=path)
    for target in plan.targets:
        builds_now = target.line is not None and not target.line.from_stock
        builds_then = target.priced is not None and target.priced.is_custom_build
        if target.repriced and (builds_now or builds_then):
            raise LineBeingBuilt(order_number=order.number, sku=target.sku, path=target.path)


# --- the diff ------------------------------------------------------------------------------------


def _value(value: Any) -> Any:
    """A value as the diff stores it (JSON): dates as ISO strings, money as decimal strings."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _header_entry(name: str, before, after, **extra) -> dict:
    return {"field": name, "from": _value(before), "to": _value(after), **extra}


def _line_diff(plan: _Plan) -> list[dict]:
    diff = []
    for line, _path in plan.removed:
        diff.append(
            {
                "line": line.position,
                "sku": line.sku,
                "change": LineChangeKind.REMOVED,
                "from": line.quantity,
                "to": None,
                "options": line.options or {},
            }
        )
    for target in plan.targets:
        line, priced = target.line, target.priced
        if line is None:
            diff.append(
                {
                    "line": target.position,
                    "sku": target.sku,
                    "change": LineChangeKind.ADDED,
                    "from": None,
                    "to": target.quantity,
                    "options": target.options,
                }
            )
            continue
        base = {"line": line.position, "sku": line.sku}
        if target.quantity != line.quantity:
            diff.append(
                {**base, "change": LineChangeKind.QUANTITY, "from": line.quantity, "to": target.quantity}
            )
        if target.options != (line.options or {}):
            diff.append(
                {**base, "change": LineChangeKind.OPTIONS, "from": line.options or {}, "to": target.options}
            )
        if priced is not None and priced.unit_price != line.unit_price:
            diff.append(
                {
                    **base,
                    "change": LineChangeKind.PRICE,
                    "from": str(line.unit_price),
                    "to": str(priced.unit_price),
                }
            )
    return diff


# --- writing -------------------------------------------------------------------------------------

_PRICE_FIELDS = (
    "description",
    "quantity",
    "options",
    "unit_price",
    "discount_percent",
    "discount_amount",
    "net_amount",
    "tax_rate",
    "tax_amount",
    "line_total",
    "is_custom_build",
)


def _apply_priced(line: OrderLine, priced: PricedLine) -> None:
    for name in _PRICE_FIELDS:
        setattr(line, name, getattr(priced, name))


def _releases(plan: _Plan) -> dict[int, int]:
    """Units each existing line gives back: all it holds when removed or now built by production,
    what exceeds its new quantity when reduced."""
    release: dict[int, int] = {}
    for line, _path in plan.removed:
        release[line.pk] = line.quantity_allocated - line.quantity_shipped
    for target in plan.targets:
        line = target.line
        if line is None or not line.quantity_allocated:
            continue
        if target.priced is not None and target.priced.is_custom_build:
            release[line.pk] = line.quantity_allocated - line.quantity_shipped
        elif line.quantity_allocated > target.quantity:
            release[line.pk] = line.quantity_allocated - target.quantity
    return {pk: units for pk, units in release.items() if units > 0}


def _promised_date(order: Order, rows: list[OrderLine], *, transit_days: int, today: dt.date) -> dt.date:
    """The order's promised delivery date again: each line's available-to-promise date plus transit,
    the latest of them (as order_quote works it out), counting the order's own reservations."""
    products = {
        product.pk: product
        for product in Product.objects.filter(pk__in={row.product_id for row in rows}).annotate(
            stock_available=stock_available_expression(), stock_incoming=stock_incoming_expression()
        )
    }
    held: dict[int, int] = defaultdict(int)
    for row in rows:
        if not row.is_custom_build:
            held[row.product_id] += row.quantity_allocated - row.quantity_shipped
    atp = [_AtpLine(products[row.product_id], row.quantity, row.is_custom_build) for row in rows]
    promises, _crowded = _promises(atp, order=order, today=today, held=dict(held))
    return max(promise.date for promise in promises) + dt.timedelta(days=transit_days)


def order_change(
    *,
    order_id: int,
    actor,
    expected_version: int | None,
    requested_delivery_date: dt.date | None | _Unset = UNSET,
    shipping_address: dict | None = None,
    shipping_address_id: int | None = None,
    notes: str | None = None,
    external_reference: str | None = None,
    lines: Sequence[LineChange] = (),
    replace_lines: Sequence[LineRequest] | None = None,
    reason: str = "",
    within: AbstractSet[str] = CHANGEABLE,
) -> Order:
    """Change a placed order: header fields, address, and its lines (add, quantity, options, remove).

    `lines` changes single lines (LineChange); `replace_lines` instead gives the whole new list (the
    dealer API), matched to the existing lines by SKU and options. Fields left None (the date:
    UNSET) stay as they are. `within`: the statuses the caller may change orders in (dealers
    EDITABLE, sales reps BEFORE_APPROVAL, order managers CHANGEABLE, the default). `reason` is kept as
    the timeline entry's note.

    Preconditions: the order is in a status `within` allows and the lifecycle still allows changes
    (not from ready to ship on; on hold, as the status it was held from; in production, not the lines
    being built); `expected_version` (None: not checked) is its current version.
    Side effects, in one transaction: changed and new lines priced as at intake, removed lines
    deleted, totals, shipping fee and promised date worked out again, version bumped; for an order
    allocation has looked at, reservations given back through inventory's ledger and allocation run
    again (which may move an approved order to allocated, or record a backorder); one `order.updated`
    timeline entry with the diff and the domain event `order.updated` (priority scoring listens).
    A change that changes nothing writes nothing.
    Raises ConcurrentModification (409), OrderNotEditable (409), LineBeingBuilt (409),
    DuplicateExternalReference (409), ValidationFailed (400, every field's errors at once, field paths
    as the caller gave them: `lines[i].quantity`, `requested_delivery_date`, `shipping_address.city`).
    Nothing is written on a refusal.
    """
    if replace_lines is not None and lines:
        raise ValueError("give either `lines` (changes) or `replace_lines` (the whole list), not both")
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        if expected_version is not None and expected_version != order.version:
            raise ConcurrentModification(extra={"current_version": order.version})
        _check_scope(order, within)
        errors: dict[str, list[str]] = {}
        header: list[dict] = []
        fields: list[str] = []

        if (
            not isinstance(requested_delivery_date, _Unset)
            and requested_delivery_date != order.requested_delivery_date
        ):
            try:
                _validate_requested_date(requested_delivery_date)
            except ValidationFailed as exc:
                errors.update(exc.fields)
            header.append(
                _header_entry(
                    "requested_delivery_date", order.requested_delivery_date, requested_delivery_date
                )
            )
            order.requested_delivery_date = requested_delivery_date
        if shipping_address is not None or shipping_address_id is not None:
            try:
                address = _resolve_shipping_address(
                    customer=order.customer,
                    shipping_address=shipping_address,
                    shipping_address_id=shipping_address_id,
                )
            except ValidationFailed as exc:
                errors.update(exc.fields)
            else:
                if address != order.shipping_address:
                    header.append(_header_entry("shipping_address", order.shipping_address, address))
                    order.shipping_address = address
        if notes is not None and notes != order.notes:
            header.append(_header_entry("notes", order.notes, notes))
            order.notes = notes
        if external_reference is not None and external_reference.strip() != order.external_reference:
            ref = external_reference.strip()
            other = order_find_by_external_reference(customer_id=order.customer_id, external_reference=ref)
            if other is not None and other.pk != order.pk:
                raise DuplicateExternalReference(existing_number=other.number, external_reference=ref)
            header.append(_header_entry("external_reference", order.external_reference, ref))
            order.external_reference = ref
        fields.extend(entry["field"] for entry in header)

        current = list(
            OrderLine.objects.filter(order_id=order.pk).select_related("product").order_by("position")
        )
        if replace_lines is not None:
            plan = _plan_replacement(current, replace_lines)
        else:
            plan = _plan_changes(current, lines, errors)
        reference = _price(order, plan, errors)
        _check_lines(order, plan, errors)
        if errors:
            raise ValidationFailed(fields=errors)
        next_position = max((line.position for line in current), default=0) + 1
        for target in plan.targets:
            if target.line is None:
                target.position, next_position = next_position, next_position + 1
        line_diff = _line_diff(plan)
        if not header and not line_diff:
            return order
        if line_diff:
            fields.append("lines")

        released = allocation_reduce(order=order, quantities=_releases(plan), actor=actor, reason=reason)
        rows = _write_lines(order, plan, released)
        before_total, before_promise = order.total, order.promised_delivery_date
        if line_diff or "shipping_address" in fields:
            _retotal(order, rows, reference)
            if order.subtotal + order.tax_total >= MAX_LINES_AMOUNT:
                raise ValidationFailed(
                    fields={"lines": [_("The order amount is too large; split the order.")]}
                )
        if order.total != before_total:
            header.append(_header_entry("total", before_total, order.total, currency=order.currency))
        if order.promised_delivery_date != before_promise:
            header.append(
                _header_entry("promised_delivery_date", before_promise, order.promised_delivery_date)
            )
        order.version += 1
        _save(order)
        data = {"fields": fields, "header": header, "lines": line_diff}
        if released:
            data["stock_released"] = sum(released.values())
        OrderEvent.record(order=order, kind=OrderEventKind.UPDATED, actor=actor, note=reason, data=data)
        # Priority scoring follows from the event when the changed fields move it (orders.apps).
        events.emit("order.updated", order_id=order.pk, fields=fields)
        # Once its review has opened, a change is reviewed again (orders.services.review): a rule it now
        # matches that this round has not approved puts the order back in review (before allocation, so
        # nothing more is reserved for an order waiting for approval) or, too late for that, refuses it.
        if order.status not in (S.DRAFT, S.SUBMITTED):
            order = order_review_rerun(order_id=order.pk, actor=actor, diff=data)
        # Allocation comes last, once the change is written: it reserves only for an order whose
        # status still lets it (approved, allocated, in production; not on hold).
        if line_diff and order.allocation_status != AllocationStatus.NONE:
            allocation_after_change(order=order, actor=actor)
        return Order.objects.select_related("customer").get(pk=order.pk)


def _write_lines(order: Order, plan: _Plan, released: dict[int, int]) -> list[OrderLine]:
    """Write the plan's lines (releases already done); returns the order's lines as they are now."""
    if plan.removed:
        removed = [line.pk for line, _path in plan.removed]
        # What the removed lines counted in committed demand goes with them.
        commitments_sync(order_ids=[order.pk], dropping=removed)
        try:
            OrderLine.objects.filter(pk__in=removed).delete()
        except ProtectedError:
            # A work order still points at the line (production's, which orders cannot see).
            line, path = plan.removed[0]
            raise LineBeingBuilt(order_number=order.number, sku=line.sku, path=path) from None
    changed, new, rows = [], [], []
    for target in plan.targets:
        line = target.line
        if line is None:
            line = OrderLine(
                order=order, position=target.position, product=target.priced.product, sku=target.sku
            )
            _apply_priced(line, target.priced)
            new.append(line)
        else:
            line.quantity_allocated -= released.get(line.pk, 0)
            if target.repriced:
                _apply_priced(line, target.priced)
                changed.append(line)
        rows.append(line)
    if changed:
        OrderLine.objects.bulk_update(changed, list(_PRICE_FIELDS))
    if new:
        OrderLine.objects.bulk_create(new)
    commitments_sync(order_ids=[order.pk])
    return rows


def _retotal(order: Order, rows: list[OrderLine], reference) -> None:
    """Totals, shipping fee and promised date from the lines as they are now, as at intake."""
    order.subtotal = sum((row.net_amount for row in rows), ZERO)
    order.discount_total = sum((row.discount_amount for row in rows), ZERO)
    order.tax_total = sum((row.tax_amount for row in rows), ZERO)
    weight = sum((row.product.weight_kg * row.quantity for row in rows), Decimal("0"))
    fee, transit_days = shipping_estimate(
        region=order.shipping_address.get("region", ""),
        subtotal=order.subtotal,
        weight_kg=weight,
        reference=reference,
    )
    order.shipping_fee = fee
    order.total = order.subtotal + order.tax_total + fee
    order.promised_delivery_date = _promised_date(
        order, rows, transit_days=transit_days, today=timezone.localdate()
    )


def _save(order: Order) -> None:
    try:
        with transaction.atomic():
            order.save()
    except IntegrityError:
        # A concurrent order took the same external reference between the check and the save.
        other = order_find_by_external_reference(
            customer_id=order.customer_id, external_reference=order.external_reference
        )
        raise DuplicateExternalReference(
            existing_number=other.number if other else "", external_reference=order.external_reference
        ) from None


def order_update(
    *,
    order_id: int,
    actor=None,
    expected_version: int | None = None,
    lines: Sequence[LineRequest] | None = None,
    requested_delivery_date: dt.date | None = None,
    shipping_address: dict | None = None,
    shipping_address_id: int | None = None,
    notes: str | None = None,
    external_reference: str | None = None,
    update_requested_date: bool = False,
) -> Order:
    """A dealer's change (the dealer API's PATCH): order_change within EDITABLE (draft, submitted).

    `lines`, when given, is the whole new list of lines (matched to the existing ones, see
    order_change); `update_requested_date` says the date was sent (None then clears it).
    Once the order is in review or approved, its changes are the order managers' (order_change in
    the admin): OrderNotEditable (409). Raises as order_change.
    """
    return order_change(
        order_id=order_id,
        actor=actor,
        expected_version=expected_version,
        requested_delivery_date=requested_delivery_date if update_requested_date else UNSET,
        shipping_address=shipping_address,
        shipping_address_id=shipping_address_id,
        notes=notes,
        external_reference=external_reference,
        replace_lines=lines,
        within=EDITABLE,
    )
