"""Order intake: quotes and creation (changes to placed orders: orders.services.changes)."""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import BulkInsert, CompiledQuery, set_prefetched
from core.errors import ValidationFailed
from core.services import sequence_next
from crm.models import Address, Customer
from inventory.selectors import AtpPromise, Substitute, atp_promise, atp_timeline, product_substitutes
from orders.errors import (
    DuplicateExternalReference,
)
from orders.models import Channel, Order, OrderEvent, OrderLine
from orders.selectors import (
    committed_demand,
    committed_units_of,
    order_find_by_external_reference,
    order_stock_committed,
)
from orders.services.commitments import (
    COMMITTED_DEMAND_OF_INSERTED,
    commitments_record,
    committed_demand_fold,
)
from orders.states import LIFECYCLE, OrderEventKind, OrderStatus
from pricing.services import LineRequest, PricedLine, price_lines, shipping_estimate

S = OrderStatus
ADDRESS_REQUIRED = ("recipient", "region", "city", "line1")
ADDRESS_FIELDS = (
    "recipient",
    "phone",
    "country",
    "region",
    "city",
    "district",
    "line1",
    "postal_code",
    "latitude",
    "longitude",
)


@dataclass
class Quote:
    customer: Customer
    lines: list[PricedLine]
    line_dates: list[dt.date]
    currency: str
    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    shipping_fee: Decimal
    total: Decimal
    promised_delivery_date: dt.date
    # Per line: a stock line that cannot be served from stock now (it waits for incoming or the lead time).
    line_short: list[bool] = field(default_factory=list)
    # Per line: products that could replace a short line (inventory.selectors.product_substitutes);
    # read only when asked for (`with_substitutes`), else empty lists.
    line_substitutes: list[list[Substitute]] = field(default_factory=list)
    # Products whose committed-demand ledger wants folding (orders.selectors.committed_demand): the
    # order created from this quote folds them once it has committed.
    crowded_product_ids: list[int] = field(default_factory=list)


def _promises(
    priced: Sequence[PricedLine], *, order: Order | None, today: dt.date, held: dict[int, int] | None = None
) -> tuple[list[AtpPromise], list[int]]:
    """Available-to-promise for each line (inventory.selectors.atp_timeline, whose rule applies).

    Open orders without a reservation yet come first: for a new order, the committed-demand ledger's
    sums (orders.selectors.committed_demand, which also names the products wanting a fold, returned
    with the promises); for a re-quoted order, only those submitted before it
    (orders.selectors.order_stock_committed). Queries: none beyond pricing's when nothing of the
    products is available or on its way (nothing to share, every date is the lead time); one for the
    committed demand when something is; one more for incoming supply only when a product with
    something on its way is short now.
    `held`: units of each product already reserved for the re-quoted order ({product_id: units}),
    which inventory no longer counts as available but which are this order's (a changed order).
    Lines are anything with `product` (annotated like pricing's), `quantity` and `is_custom_build`.
    """
    products = {p.product.pk: p.product for p in priced if not p.is_custom_build}
    held = held or {}
    available = {
        pk: max(0, product.stock_available or 0) + held.get(pk, 0) for pk, product in products.items()
    }
    wanted: dict[int, int] = defaultdict(int)
    for p in priced:
        if not p.is_custom_build:
            wanted[p.product.pk] += p.quantity
    incoming = {pk for pk, product in products.items() if getattr(product, "stock_incoming", False)}
    supplied = [pk for pk in products if available[pk] > 0 or pk in incoming]
    committed, crowded = {}, []
    if supplied and order is None:
        committed, crowded = committed_demand(product_ids=supplied)
    elif supplied:
        committed = order_stock_committed(
            product_ids=supplied, exclude_order_id=order.pk, submitted_before=order.submitted_at
        )
    short = [pk for pk in incoming if available[pk] - committed.get(pk, 0) < wanted[pk]]
    timeline = atp_timeline(
        product_ids=list(products),
        committed=committed,
        today=today,
        available=available,
        incoming_product_ids=short,
    )
    taken: dict[int, int] = defaultdict(int)
    promises = []
    for p in priced:
        promise = atp_promise(
            product=p.product,
            quantity=p.quantity,
            steps=timeline.get(p.product.pk, []),
            taken=taken[p.product.pk],
            custom_build=p.is_custom_build,
            today=today,
        )
        if promise.covered:
            taken[p.product.pk] += p.quantity
        promises.append(promise)
    return promises, crowded


def order_quote(
    *,
    customer: Customer,
    lines: Sequence[LineRequest],
    shipping_region: str = "",
    today: dt.date | None = None,
    order: Order | None = None,
    with_substitutes: bool = False,
) -> Quote:
    """Price and date an order without writing anything. Same validation as order_create.

    Dates are available-to-promise (inventory.selectors.atp_timeline): stock now, then incoming
    supply, after what open orders not yet reserved were promised before; else the lead time.
    `order`: the order being re-quoted (its own lines and later orders do not count against it).
    `with_substitutes`: also suggest substitutes for each short line (one query per short line).
    Raises ValidationFailed (field paths `lines[i].…`).
    """
    # Availability comes with the products priced: one query fewer than asking inventory separately.
    priced = price_lines(customer=customer, lines=lines, with_stock_available=True)
    fee, transit_days = shipping_estimate(
        region=shipping_region,
        subtotal=priced.subtotal,
        weight_kg=priced.weight_kg,
        reference=priced.reference,
    )
    today = today or timezone.localdate()
    promises, crowded = _promises(priced.lines, order=order, today=today)
    line_dates = [promise.date + dt.timedelta(days=transit_days) for promise in promises]
    line_short = [
        not p.is_custom_build and not promise.from_stock
        for p, promise in zip(priced.lines, promises, strict=True)
    ]
    line_substitutes = [
        product_substitutes(product=p.product, quantity=p.quantity, options=p.options)
        if with_substitutes and short
        else []
        for p, short in zip(priced.lines, line_short, strict=True)
    ]
    return Quote(
        customer=customer,
        lines=priced.lines,
        line_dates=line_dates,
        currency=customer.currency,
        subtotal=priced.subtotal,
        discount_total=priced.discount_total,
        tax_total=priced.tax_total,
        shipping_fee=fee,
        total=priced.subtotal + priced.tax_total + fee,
        promised_delivery_date=max(line_dates),
        line_short=line_short,
        line_substitutes=line_substitutes,
        crowded_product_ids=crowded,
    )


def _resolve_shipping_address(
    *, customer: Customer, shipping_address: dict | None, shipping_address_id: int | None
) -> dict:
    if shipping_address_id is not None:
        address = Address.objects.filter(pk=shipping_address_id, customer=customer).first()
        if address is None:
            raise ValidationFailed(fields={"shipping_address_id": [_("No such address for this customer.")]})
        return address.snapshot()
    if shipping_address:
        errors = {
            f"shipping_address.{name}": [_("This field is required.")]
            for name in ADDRESS_REQUIRED
            if not str(shipping_address.get(name) or "").strip()
        }
        unknown = set(shipping_address) - set(ADDRESS_FIELDS)
        for name in sorted(unknown):
            errors[f"shipping_address.{name}"] = [_("Unknown field.")]
        if errors:
            raise ValidationFailed(fields=errors)
        snap = {name: str(shipping_address.get(name) or "").strip() for name in ADDRESS_FIELDS}
        snap["country"] = snap["country"] or "CN"
        return snap
    default = _default_address(customer.pk)
    if default is None:
        raise ValidationFailed(
            fields={"shipping_address": [_("The customer has no saved address; give one.")]}
        )
    return default.snapshot()


def _default_addresses(customer_id: int) -> QuerySet[Address]:
    return Address.objects.filter(customer_id=customer_id).order_by("-is_default_shipping", "pk")[:1]


# Every order's lines and timeline: statements built once per process on PostgreSQL (core.db).
_insert_order = BulkInsert(Order)
_insert_lines = BulkInsert(OrderLine, then=COMMITTED_DEMAND_OF_INSERTED)
_insert_events = BulkInsert(OrderEvent)
# Read by nearly every order: compiled once per process on PostgreSQL (core.db; the marker is no id).
_DEFAULT_ADDRESS = CompiledQuery(_default_addresses, -2_000_000_001)


def _default_address(customer_id: int) -> Address | None:
    if connection.vendor == "postgresql":
        return next(iter(_DEFAULT_ADDRESS.objects(customer_id)), None)
    return _default_addresses(customer_id).first()


def _validate_requested_date(requested_delivery_date: dt.date | None) -> None:
    if requested_delivery_date and requested_delivery_date < timezone.localdate():
        raise ValidationFailed(fields={"requested_delivery_date": [_("The date cannot be in the past.")]})


def _order_number(now: dt.datetime) -> str:
    year = timezone.localtime(now).year
    value = sequence_next(name=f"order:{year}")
    return f"{settings.ORDER_NUMBER_PREFIX}-{year}-{value:06d}"


def _line_rows(order: Order, quote: Quote) -> list[OrderLine]:
    """The quote's lines for `order`, each with what it counts in its product's committed demand."""
    return [
        OrderLine(
            order=order,
            position=p.position,
            product=p.product,
            sku=p.sku,
            description=p.description,
            quantity=p.quantity,
            options=p.options,
            unit_price=p.unit_price,
            discount_percent=p.discount_percent,
            discount_amount=p.discount_amount,
            net_amount=p.net_amount,
            tax_rate=p.tax_rate,
            tax_amount=p.tax_amount,
            line_total=p.line_total,
            is_custom_build=p.is_custom_build,
            committed_units=committed_units_of(
                status=order.status, quantity=p.quantity, allocated=0, custom_build=p.is_custom_build
            ),
        )
        for p in quote.lines
    ]


def _apply_totals(order: Order, quote: Quote) -> None:
    order.currency = quote.currency
    order.subtotal = quote.subtotal
    order.discount_total = quote.discount_total
    order.tax_total = quote.tax_total
    order.shipping_fee = quote.shipping_fee
    order.total = quote.total
    order.promised_delivery_date = quote.promised_delivery_date


def order_quote_request(
    *,
    customer: Customer,
    lines: Sequence[LineRequest],
    requested_delivery_date: dt.date | None = None,
    shipping_address: dict | None = None,
    shipping_address_id: int | None = None,
    with_substitutes: bool = False,
) -> Quote:
    """Quote an order request exactly as order_create would validate it (date, address, lines).

    `with_substitutes`: suggest substitutes for lines that cannot be served from stock now.
    Writes nothing. Raises ValidationFailed.
    """
    _validate_requested_date(requested_delivery_date)
    address = _resolve_shipping_address(
        customer=customer, shipping_address=shipping_address, shipping_address_id=shipping_address_id
    )
    return order_quote(
        customer=customer,
        lines=lines,
        shipping_region=address.get("region", ""),
        with_substitutes=with_substitutes,
    )


def order_create(
    *,
    customer: Customer,
    channel: str,
    lines: Sequence[LineRequest],
    actor=None,
    requested_delivery_date: dt.date | None = None,
    shipping_address: dict | None = None,
    shipping_address_id: int | None = None,
    external_reference: str = "",
    notes: str = "",
    submit: bool = True,
    accepts_partial_shipments: bool | None = None,
) -> Order:
    """Create an order with its priced lines; submitted unless `submit=False` (then a draft).

    `accepts_partial_shipments` defaults to the customer's setting (what allocation does with a
    shortfall: ship what is in stock now, or wait and ship complete).

    Preconditions: the customer is active; lines are validated and priced by pricing.
    Side effects: domain event `order.submitted` (`order.draft`), whose listener queues priority scoring.
    Raises ValidationFailed (nothing written), DuplicateExternalReference (409).
    Query count does not depend on the number of lines. Inside a caller's transaction, a savepoint is
    taken only with an external reference: any other database error leaves that transaction to roll back.
    """
    if channel not in Channel.values:
        raise ValidationFailed(fields={"channel": [_("Unknown channel.")]})
    if not customer.is_active:
        raise ValidationFailed(fields={"customer": [_("This customer is inactive.")]})
    _validate_requested_date(requested_delivery_date)
    external_reference = (external_reference or "").strip()
    existing = order_find_by_external_reference(
        customer_id=customer.pk, external_reference=external_reference
    )
    if existing is not None:
        raise DuplicateExternalReference(
            existing_number=existing.number, external_reference=external_reference
        )
    address = _resolve_shipping_address(
        customer=customer, shipping_address=shipping_address, shipping_address_id=shipping_address_id
    )
    quote = order_quote(customer=customer, lines=lines, shipping_region=address.get("region", ""))
    now = timezone.now()
    try:
        # Inside a caller's transaction (an idempotent request), a savepoint is needed only to answer a
        # duplicate external reference, whose unique violation would otherwise abort that transaction.
        with transaction.atomic(savepoint=bool(external_reference)):
            order = Order(
                customer=customer,
                channel=channel,
                requested_delivery_date=requested_delivery_date,
                shipping_address=address,
                external_reference=external_reference,
                notes=notes,
                accepts_partial_shipments=(
                    customer.accepts_partial_shipments
                    if accepts_partial_shipments is None
                    else bool(accepts_partial_shipments)
                ),
                created_by=actor if getattr(actor, "pk", None) else None,
                created_at=now,
            )
            _apply_totals(order, quote)
            if submit:
                order.status, order.submitted_at = S.SUBMITTED, now
            # The number is taken last: its counter row stays locked only for the few inserts below.
            order.number = _order_number(now)
            if connection.vendor == "postgresql":
                _insert_order([order])  # as order.save(force_insert=True), prepared; sends no signals
            else:
                order.save(force_insert=True)
            # The lines and, in the same statement on PostgreSQL, their committed-demand ledger rows.
            rows, recorded = _insert_lines.run(_line_rows(order, quote))
            if not recorded:
                commitments_record(rows)
            # Hand the caller the lines it just wrote, as if prefetched: rendering needs no re-read.
            set_prefetched(order, "lines", rows)
            actor_id = actor.pk if getattr(actor, "pk", None) else None
            timeline = [
                OrderEvent(
                    order=order,
                    kind=OrderEventKind.CREATED,
                    to_status=S.DRAFT,
                    actor_id=actor_id,
                    created_at=now,
                    data={"channel": channel, "lines": len(quote.lines), "total": str(quote.total)},
                )
            ]
            if submit:
                timeline.append(
                    OrderEvent(
                        order=order,
                        kind=OrderEventKind.SUBMITTED,
                        from_status=S.DRAFT,
                        to_status=S.SUBMITTED,
                        actor_id=actor_id,
                        created_at=now,
                    )
                )
            _insert_events(timeline)
            # A new order announces the status it starts in: `order.submitted` or `order.draft`.
            LIFECYCLE.announce(order, f"order.{order.status}")
            if quote.crowded_product_ids:
                # Keeps the next intakes' committed-demand reads short. It skips rows another fold holds;
                # `robust`: a failure is logged, never the committed order's answer (the sweep folds later).
                crowded = quote.crowded_product_ids
                transaction.on_commit(lambda: committed_demand_fold(product_ids=crowded), robust=True)
    except IntegrityError:
        if not external_reference:
            raise
        # A concurrent request with the same external reference won the race.
        existing = order_find_by_external_reference(
            customer_id=customer.pk, external_reference=external_reference
        )
        if existing is not None:
            raise DuplicateExternalReference(
                existing_number=existing.number, external_reference=external_reference
            )
        raise
    return order
