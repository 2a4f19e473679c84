"""Plans for demo orders: who orders what, through which channel, and which road it takes.

Pure functions of (seed, index): nothing here touches the database, so the same index always gets
the same plan, whichever orders already exist. Every road follows orders.states.ALLOWED; the
services refuse anything else, so a wrong plan fails loudly instead of writing odd data.
"""

import datetime as dt
import random
from dataclasses import dataclass, replace

from demo.data import CUSTOMERS, ORDER_REFERENCE_PREFIX, PRODUCTS, SHIPPING_RATES, CustomerSpec, ProductSpec
from orders.models import Channel
from orders.states import HOLDABLE, OrderStatus

S = OrderStatus
HISTORY_DAYS = 120

# Every status appears for the first len(STATUS_ORDER) orders; later ones follow STATUS_WEIGHTS.
STATUS_ORDER: tuple[str, ...] = tuple(S.values)
STATUS_WEIGHTS: dict[str, int] = {
    S.DRAFT: 2,
    S.SUBMITTED: 4,
    S.IN_REVIEW: 3,
    S.APPROVED: 3,
    S.ALLOCATED: 3,
    S.IN_PRODUCTION: 5,
    S.READY_TO_SHIP: 3,
    S.PARTIALLY_SHIPPED: 2,
    S.SHIPPED: 4,
    S.DELIVERED: 6,
    S.COMPLETED: 48,
    S.ON_HOLD: 3,
    S.REJECTED: 5,
    S.CANCELLED: 9,
}
# How long ago an order still open in that status moved for the last time (at most, in days).
RECENT_DAYS: dict[str, float] = {
    S.DRAFT: 6,
    S.SUBMITTED: 2,
    S.IN_REVIEW: 3,
    S.APPROVED: 3,
    S.ALLOCATED: 3,
    S.IN_PRODUCTION: 30,
    S.READY_TO_SHIP: 4,
    S.PARTIALLY_SHIPPED: 5,
    S.SHIPPED: 4,
    S.DELIVERED: 25,
    S.ON_HOLD: 12,
}

SEGMENT_CHANNELS: dict[str, tuple[str, ...]] = {
    "truck_dealer": (Channel.DEALER_API, Channel.DEALER_API, Channel.PHONE_EMAIL, Channel.SALES_REP),
    "fleet": (Channel.KEY_ACCOUNT, Channel.KEY_ACCOUNT, Channel.SALES_REP, Channel.IMPORT),
    "hotel": (Channel.KEY_ACCOUNT, Channel.SALES_REP, Channel.IMPORT),
    "facility": (Channel.KEY_ACCOUNT, Channel.SALES_REP, Channel.PHONE_EMAIL),
    "lighting_store": (Channel.STORE, Channel.PHONE_EMAIL, Channel.SALES_REP),
    "parts_store": (Channel.STORE, Channel.PHONE_EMAIL),
    "online_lighting": (Channel.ONLINE, Channel.ONLINE, Channel.IMPORT),
    "online_parts": (Channel.ONLINE, Channel.ONLINE, Channel.IMPORT),
    "walk_in": (Channel.STORE, Channel.ADMIN),
}
# Busy customers order more often: weights for picking the customer of an order.
SEGMENT_WEIGHTS: dict[str, int] = {
    "truck_dealer": 5,
    "fleet": 4,
    "hotel": 3,
    "facility": 3,
    "lighting_store": 5,
    "parts_store": 5,
    "online_lighting": 8,
    "online_parts": 8,
    "walk_in": 4,
}

NOTES = (
    "",
    "",
    "",
    "",
    "Deliver Mon–Fri 09:00–17:00.",
    "Call the site manager 30 minutes before arrival.",
    "Tail-lift truck required.",
    "Invoice to head office, deliver to site.",
    "Urgent: customer line-down.",
    "Please pack per floor (labels attached).",
)
HOLD_REASONS = (
    ("finance", "Credit check: open exposure above the credit limit."),
    ("finance", "Overdue invoice on the account; waiting for payment."),
    ("manager", "Customer asked to hold delivery until the site is ready."),
    ("manager", "Waiting for the signed configuration sheet."),
    ("manager", "Delivery address to be confirmed by the customer."),
)
RELEASE_REASONS = (
    "Payment received.",
    "Credit limit raised by finance.",
    "Customer confirmed the site is ready.",
    "Configuration sheet signed.",
    "Address confirmed.",
)
REJECT_REASONS = (
    "Duplicate of an order placed by phone.",
    "Configuration not homologated for the destination region.",
    "Pricing not agreed; customer asked for a new quote.",
    "Account under credit review.",
)
REOPEN_REASONS = ("Customer corrected the quantities.", "Requote agreed; to be resubmitted.")
CANCEL_REASONS = (
    "Customer cancelled: project postponed.",
    "Customer switched to a different configuration.",
    "Ordered by mistake.",
    "Budget not approved by the customer.",
    "Lead time too long for the deadline.",
)
APPROVE_REASONS = ("", "", "Within credit limit.", "Approved after phone confirmation.")


@dataclass(frozen=True)
class LinePlan:
    sku: str
    quantity: int
    options: dict[str, str]


@dataclass(frozen=True)
class Step:
    """One service call: `action` names it, `to` is the status it leads to, `hours` the wait before it."""

    action: str  # review | approve | reject | hold | release | cancel | reopen | move
    to: str
    role: str  # key of the acting user in the demo roles (manager, finance, logistics, …)
    hours: float
    reason: str = ""


@dataclass
class OrderPlan:
    index: int
    reference: str
    customer: CustomerSpec
    channel: str
    lines: list[LinePlan]
    final_status: str
    submit: bool
    steps: list[Step]
    notes: str
    requested_in_days: int | None
    address_index: int
    started_at: dt.datetime

    @property
    def step_times(self) -> list[dt.datetime]:
        times, at = [], self.started_at
        for step in self.steps:
            at = at + dt.timedelta(hours=step.hours)
            times.append(at)
        return times


TRANSIT_DAYS: dict[str, int] = {rate[0]: rate[4] for rate in SHIPPING_RATES}
PRODUCTS_BY_SKU: dict[str, ProductSpec] = {p.sku: p for p in PRODUCTS}
PRODUCTS_BY_KIND: dict[str, list[ProductSpec]] = {}
for _product in PRODUCTS:
    PRODUCTS_BY_KIND.setdefault(_product.kind, []).append(_product)
PRODUCTS_BY_CATEGORY: dict[str, list[ProductSpec]] = {}
for _product in PRODUCTS:
    PRODUCTS_BY_CATEGORY.setdefault(_product.category, []).append(_product)


def _options(rng: random.Random, product: ProductSpec, *, custom_chance: float = 0.1) -> dict[str, str]:
    chosen = {}
    for option in product.options:
        if not option.required and rng.random() < 0.4:
            continue
        standard = [v for v in option.values if not v.is_custom]
        custom = [v for v in option.values if v.is_custom]
        pool = custom if custom and rng.random() < custom_chance else standard
        chosen[option.code] = rng.choice(pool).code
    return chosen


def _line(rng: random.Random, product: ProductSpec, units: int, **kw) -> LinePlan:
    # Consumables are sold in whole packs: quantity is always a multiple of the pack size.
    return LinePlan(product.sku, units * product.pack_size, _options(rng, product, **kw))


def _pick(rng: random.Random, categories: tuple[str, ...], count: int) -> list[ProductSpec]:
    pool = [p for c in categories for p in PRODUCTS_BY_CATEGORY[c]]
    return rng.sample(pool, min(count, len(pool)))


def plan_lines(rng: random.Random, segment: str) -> list[LinePlan]:
    """A believable basket for the segment (pack sizes respected, options chosen)."""
    trucks = PRODUCTS_BY_KIND["truck"]
    consumables = ("lubricants", "filters", "cleaning")
    lines: list[LinePlan] = []
    if segment == "truck_dealer":
        lines.append(_line(rng, rng.choice(trucks), rng.randint(1, 4), custom_chance=0.15))
        if rng.random() < 0.4:
            lines += [_line(rng, p, rng.randint(1, 6)) for p in _pick(rng, ("lubricants", "filters"), 2)]
    elif segment == "fleet":
        if rng.random() < 0.55:
            lines.append(_line(rng, rng.choice(trucks), rng.randint(2, 10), custom_chance=0.3))
        else:
            lines += [_line(rng, p, rng.randint(8, 40)) for p in _pick(rng, consumables, rng.randint(2, 4))]
    elif segment == "hotel":
        lines += [
            _line(rng, p, rng.randint(40, 400))
            for p in _pick(rng, ("led-panels", "downlights"), rng.randint(2, 3))
        ]
        if rng.random() < 0.35:
            lines.append(
                _line(rng, PRODUCTS_BY_CATEGORY["custom-fixtures"][0], rng.randint(10, 60), custom_chance=0.5)
            )
    elif segment == "facility":
        lines += [_line(rng, p, rng.randint(20, 160)) for p in _pick(rng, ("high-bay",), rng.randint(1, 2))]
        if rng.random() < 0.4:
            lines.append(_line(rng, rng.choice(PRODUCTS_BY_CATEGORY["led-panels"]), rng.randint(20, 80)))
    elif segment == "lighting_store":
        lines += [
            _line(rng, p, rng.randint(10, 80))
            for p in _pick(rng, ("led-panels", "downlights", "high-bay"), rng.randint(2, 4))
        ]
    elif segment == "parts_store":
        lines += [_line(rng, p, rng.randint(1, 10)) for p in _pick(rng, consumables, rng.randint(2, 5))]
    elif segment == "online_lighting":
        lines += [
            _line(rng, p, rng.randint(1, 20))
            for p in _pick(rng, ("downlights", "led-panels"), rng.randint(1, 2))
        ]
    elif segment == "online_parts":
        lines += [_line(rng, p, rng.randint(1, 4)) for p in _pick(rng, consumables, rng.randint(1, 3))]
    else:  # walk-in counter sales: a pack or two
        lines += [_line(rng, p, rng.randint(1, 2)) for p in _pick(rng, consumables, rng.randint(1, 2))]
    return lines


def _hours(rng: random.Random, low: float, high: float) -> float:
    return round(rng.uniform(low, high), 2)


def _fulfilment_steps(
    rng: random.Random,
    *,
    has_custom: bool,
    has_stock: bool,
    splittable: bool,
    lead_days: int,
    transit_days: int,
    final: str,
) -> list[Step]:
    """The happy road from approval to completion for this basket."""
    steps: list[Step] = []
    if has_stock or not has_custom or final == S.ALLOCATED:
        steps.append(Step("move", S.ALLOCATED, "logistics", _hours(rng, 1, 24)))
    if has_custom:
        steps.append(Step("move", S.IN_PRODUCTION, "scheduler", _hours(rng, 12, 72)))
        steps.append(
            Step("move", S.READY_TO_SHIP, "scheduler", round(lead_days * 24 * rng.uniform(0.8, 1.15), 2))
        )
    else:
        steps.append(Step("move", S.READY_TO_SHIP, "logistics", _hours(rng, 12, 48)))
    partial = final == S.PARTIALLY_SHIPPED or (
        splittable and final in (S.SHIPPED, S.DELIVERED, S.COMPLETED) and rng.random() < 0.2
    )
    if partial:
        steps.append(Step("move", S.PARTIALLY_SHIPPED, "logistics", _hours(rng, 4, 24)))
        steps.append(Step("move", S.SHIPPED, "logistics", _hours(rng, 48, 120)))
    else:
        steps.append(Step("move", S.SHIPPED, "logistics", _hours(rng, 4, 30)))
    steps.append(Step("move", S.DELIVERED, "logistics", round(transit_days * 24 * rng.uniform(0.8, 1.3), 2)))
    steps.append(Step("move", S.COMPLETED, "finance", _hours(rng, 5 * 24, 30 * 24)))
    return steps


def _main_road(
    rng: random.Random,
    *,
    final: str,
    has_custom: bool,
    has_stock: bool,
    splittable: bool,
    lead_days: int,
    transit_days: int,
) -> list[Step]:
    steps: list[Step] = []
    if final == S.IN_REVIEW or rng.random() < 0.55:
        steps.append(Step("review", S.IN_REVIEW, "manager", _hours(rng, 1, 20)))
    steps.append(Step("approve", S.APPROVED, "manager", _hours(rng, 2, 36), rng.choice(APPROVE_REASONS)))
    steps += _fulfilment_steps(
        rng,
        has_custom=has_custom,
        has_stock=has_stock,
        splittable=splittable,
        lead_days=lead_days,
        transit_days=transit_days,
        final=final,
    )
    return steps


def _until(steps: list[Step], status: str) -> list[Step]:
    """The road cut just after it first reaches `status` (empty for SUBMITTED: that is intake)."""
    if status == S.SUBMITTED:
        return []
    for i, step in enumerate(steps):
        if step.to == status:
            return steps[: i + 1]
    raise ValueError(f"the road never reaches {status}")


def _hold(rng: random.Random) -> Step:
    role, reason = rng.choice(HOLD_REASONS)
    return Step("hold", S.ON_HOLD, role, _hours(rng, 2, 48), reason)


def _with_hold_and_release(rng: random.Random, steps: list[Step]) -> list[Step]:
    """Insert a hold and its release after a holdable point of the road (history, not the end state)."""
    points = [0] + [i + 1 for i, s in enumerate(steps) if s.to in HOLDABLE]
    cut = rng.choice(points)
    held_from = steps[cut - 1].to if cut else S.SUBMITTED
    release = Step("release", held_from, "manager", _hours(rng, 24, 96), rng.choice(RELEASE_REASONS))
    return steps[:cut] + [_hold(rng), release] + steps[cut:]


def plan_road(
    rng: random.Random,
    *,
    final: str,
    has_custom: bool,
    has_stock: bool,
    splittable: bool,
    lead_days: int,
    transit_days: int,
) -> tuple[bool, list[Step]]:
    """(submit at intake?, the steps after intake) that end in `final`."""
    road = _main_road(
        rng,
        final=final,
        has_custom=has_custom,
        has_stock=has_stock,
        splittable=splittable,
        lead_days=lead_days,
        transit_days=transit_days,
    )
    if final in (S.DRAFT, S.REJECTED):
        if final == S.DRAFT and rng.random() < 0.7:
            return False, []
        steps = [s for s in road[:1] if s.action == "review"]
        steps.append(Step("reject", S.REJECTED, "manager", _hours(rng, 2, 30), rng.choice(REJECT_REASONS)))
        if final == S.DRAFT:
            steps.append(Step("reopen", S.DRAFT, "manager", _hours(rng, 4, 48), rng.choice(REOPEN_REASONS)))
        return True, steps
    if final == S.ON_HOLD:
        points = [S.SUBMITTED] + [s.to for s in road if s.to in HOLDABLE]
        return True, _until(road, rng.choice(points)) + [_hold(rng)]
    if final == S.CANCELLED:
        cancel = Step("cancel", S.CANCELLED, "manager", _hours(rng, 4, 72), rng.choice(CANCEL_REASONS))
        variant = rng.random()
        if variant < 0.15:
            return False, [cancel]
        points = [S.SUBMITTED] + [
            s.to for s in road if s.to in (S.IN_REVIEW, S.APPROVED, S.ALLOCATED, S.IN_PRODUCTION)
        ]
        steps = _until(road, rng.choice(points))
        if variant > 0.8:
            steps.append(_hold(rng))
        return True, steps + [cancel]
    steps = _until(road, final)
    if rng.random() < 0.1:
        steps = _with_hold_and_release(rng, steps)
    return True, steps


def pick_status(rng: random.Random, index: int) -> str:
    if index <= len(STATUS_ORDER):
        return STATUS_ORDER[index - 1]
    statuses = list(STATUS_WEIGHTS)
    return rng.choices(statuses, weights=[STATUS_WEIGHTS[s] for s in statuses])[0]


def pick_start(rng: random.Random, *, final: str, total_hours: float, now: dt.datetime) -> dt.datetime:
    """When the order came in: open orders moved recently, finished ones spread over HISTORY_DAYS."""
    total = dt.timedelta(hours=total_hours)
    if final in RECENT_DAYS:
        last = now - dt.timedelta(days=rng.uniform(0.02, RECENT_DAYS[final]))
        return last - total
    latest = now - total - dt.timedelta(hours=2)
    earliest = now - dt.timedelta(days=HISTORY_DAYS)
    if earliest >= latest:
        return latest
    return earliest + (latest - earliest) * rng.random()


def reference_for(index: int) -> str:
    return f"{ORDER_REFERENCE_PREFIX}{index:06d}"


def plan_order(*, seed: int, index: int, now: dt.datetime) -> OrderPlan:
    """The whole plan of demo order number `index` (1-based); deterministic for (seed, index, now)."""
    rng = random.Random(f"{seed}:{index}")
    final = pick_status(rng, index)
    customer = rng.choices(CUSTOMERS, weights=[SEGMENT_WEIGHTS[c.segment] for c in CUSTOMERS])[0]
    lines = plan_lines(rng, customer.segment)
    products = [PRODUCTS_BY_SKU[line.sku] for line in lines]
    splittable = len(lines) > 1 or lines[0].quantity >= 2 * products[0].pack_size
    if final == S.PARTIALLY_SHIPPED and not splittable:
        # Part of an order can only leave if there are at least two packs to split.
        lines[0] = replace(lines[0], quantity=lines[0].quantity * 2)
        splittable = True
    has_custom = any(
        p.made_to_order or _custom_choice(p, line.options) for p, line in zip(products, lines, strict=True)
    )
    if final == S.IN_PRODUCTION and not has_custom:
        # Only built lines go into production (a work order per line): such an order has one.
        lines.append(_line(rng, PRODUCTS_BY_CATEGORY["custom-fixtures"][0], rng.randint(10, 40)))
        products.append(PRODUCTS_BY_SKU[lines[-1].sku])
        has_custom = True
    has_stock = any(not p.made_to_order for p in products)
    lead_days = max(p.lead_time_days for p in products) or 14
    address_index = rng.randrange(len(customer.addresses))
    region = customer.addresses[address_index].region
    submit, steps = plan_road(
        rng,
        final=final,
        has_custom=has_custom,
        has_stock=has_stock,
        splittable=splittable,
        lead_days=lead_days,
        transit_days=TRANSIT_DAYS.get(region, TRANSIT_DAYS["*"]),
    )
    channel = rng.choice(SEGMENT_CHANNELS[customer.segment])
    if channel == Channel.DEALER_API and not customer.dealer_users:
        channel = Channel.PHONE_EMAIL  # a dealer without API users orders by phone or email
    return OrderPlan(
        index=index,
        reference=reference_for(index),
        customer=customer,
        channel=str(channel),
        lines=lines,
        final_status=final,
        submit=submit,
        steps=steps,
        notes=rng.choice(NOTES),
        requested_in_days=(lead_days + rng.randint(3, 20)) if rng.random() < 0.6 else None,
        address_index=address_index,
        started_at=pick_start(rng, final=final, total_hours=sum(s.hours for s in steps), now=now),
    )


def _custom_choice(product: ProductSpec, options: dict[str, str]) -> bool:
    custom = {(o.code, v.code) for o in product.options for v in o.values if v.is_custom}
    return any((code, value) in custom for code, value in options.items())
