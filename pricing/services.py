"""Pricing at intake: validates requested lines against the catalog and prices them.

Rounding (explicit, tested): every amount is rounded half-up to 0.01 once, per line:
  gross    = unit_price × quantity
  discount = round(gross × discount% / 100)
  net      = gross − discount
  tax      = round(net × tax_rate)
  total    = net + tax
Order totals are sums of the rounded line amounts, so they always equal the sum of the lines.
Prices are tax-exclusive. A customer's negotiated price replaces list price and tier discount.
"""

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery, prefetch_related_objects
from django.utils.translation import gettext as _

from core.db import AnyOf, CompiledQuery
from core.errors import ValidationFailed
from core.money import ZERO, percent_of, quantize_money
from crm.models import Customer
from inventory.models import Product, ProductOption
from inventory.selectors import stock_available_expression, stock_incoming_expression
from pricing.models import CustomerPrice
from pricing.selectors import PricingReference, pricing_reference

# Amounts are stored as numeric(14, 2): each stays below 10^12. The lines and the shipping fee share
# that room, so an order's total (lines + fee) always fits and is never a database error.
MAX_AMOUNT = Decimal("1000000000000")  # 10^12
MAX_SHIPPING_FEE = Decimal("10000000000")  # 10^10
MAX_LINES_AMOUNT = MAX_AMOUNT - MAX_SHIPPING_FEE


@dataclass(frozen=True)
class LineRequest:
    sku: str
    quantity: int
    options: dict[str, str] = field(default_factory=dict)


@dataclass
class PricedLine:
    position: int
    product: Product
    sku: str
    description: str
    quantity: int
    options: dict[str, str]
    unit_price: Decimal
    discount_percent: Decimal
    discount_amount: Decimal
    net_amount: Decimal
    tax_rate: Decimal
    tax_amount: Decimal
    line_total: Decimal
    is_custom_build: bool


@dataclass
class PricedLines:
    lines: list[PricedLine]
    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    weight_kg: Decimal
    # The reference tables the lines were priced with; shipping_estimate takes them for the same order,
    # so one quote reads the cache once and sees one version of the tables.
    reference: PricingReference


def price_line_amounts(
    *, unit_price: Decimal, quantity: int, discount_percent: Decimal, tax_rate: Decimal
) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """Return (discount_amount, net_amount, tax_amount, line_total) for one line, rounded per the rules."""
    gross = quantize_money(unit_price * quantity)
    discount = percent_of(gross, discount_percent)
    net = gross - discount
    tax = quantize_money(net * tax_rate)
    return discount, net, tax, net + tax


def _validate_options(
    product: Product, options: dict, prefix: str, errors: dict
) -> tuple[Decimal, bool, str]:
    """Check chosen options against the product's; return (price delta, custom build?, label)."""
    defined = {opt.code: opt for opt in product.options.all()} if product.has_options else {}
    delta, custom, labels = ZERO, False, []
    if not isinstance(options, dict):
        errors[f"{prefix}.options"] = [_("Options must be an object of option code to value code.")]
        return delta, custom, ""
    for code in options:
        if code not in defined:
            errors.setdefault(f"{prefix}.options.{code}", []).append(
                _("Unknown option “%(code)s” for %(sku)s.") % {"code": code, "sku": product.sku}
            )
    for code, opt in defined.items():
        chosen = options.get(code)
        if chosen in (None, ""):
            if opt.required:
                errors.setdefault(f"{prefix}.options.{code}", []).append(_("This option is required."))
            continue
        values = {v.code: v for v in opt.values.all()}
        value = values.get(str(chosen))
        if value is None:
            errors.setdefault(f"{prefix}.options.{code}", []).append(
                _("“%(value)s” is not an allowed value; choose one of: %(allowed)s.")
                % {"value": chosen, "allowed": ", ".join(values)}
            )
            continue
        delta += value.price_delta
        custom = custom or value.is_custom
        labels.append(f"{opt.name}: {value.name}")
    return delta, custom, "; ".join(labels)


def _pricing_products(customer_id: int, skus, *, with_stock: bool, compiled: bool) -> QuerySet[Product]:
    """The products priced for an order, with what pricing needs of them in the same query.

    Negotiated price and whether the product has options, plus (`with_stock`) the quantity available.
    `compiled`: filter with AnyOf (one statement for any number of SKUs; PostgreSQL) for CompiledQuery.
    """
    annotations = {
        "negotiated_price": Subquery(
            CustomerPrice.objects.filter(customer_id=customer_id, product=OuterRef("pk")).values("price")[:1]
        ),
        "has_options": Exists(ProductOption.objects.filter(product=OuterRef("pk"))),
    }
    if with_stock:
        annotations["stock_available"] = stock_available_expression()
        annotations["stock_incoming"] = stock_incoming_expression()
    products = Product.objects.filter(AnyOf(F("sku"), skus) if compiled else Q(sku__in=skus))
    return products.annotate(**annotations)


# Building and compiling that query took more machine time than running it: on PostgreSQL it is
# compiled once per process (markers: a customer id and a SKU list that cannot occur; the id fits
# an integer column, else Django would compile its comparison as always false).
_PRICING_PRODUCTS = {
    with_stock: CompiledQuery(
        functools.partial(_pricing_products, with_stock=with_stock, compiled=True), -2_000_000_001, ["\0sku"]
    )
    for with_stock in (False, True)
}


def price_lines(
    *, customer: Customer, lines: Sequence[LineRequest], with_stock_available: bool = False
) -> PricedLines:
    """Validate and price requested lines for `customer`. Query count does not grow with the lines.

    `with_stock_available`: also read each product's available quantity (inventory's figure, over all
    active warehouses) in the same query, as `PricedLine.product.stock_available`, and whether any
    is on its way (transfers in transit, expected receipts) as `PricedLine.product.stock_incoming`.
    Raises ValidationFailed with field paths like `lines[2].quantity` and writes nothing.
    """
    errors: dict[str, list[str]] = {}
    if not lines:
        raise ValidationFailed(fields={"lines": [_("An order needs at least one line.")]})
    if len(lines) > settings.ORDER_MAX_LINES:
        raise ValidationFailed(
            fields={"lines": [_("At most %(max)d lines per order.") % {"max": settings.ORDER_MAX_LINES}]}
        )
    skus = list({line.sku for line in lines})
    # One query for the products with their negotiated price; options only for products that have any.
    if connection.vendor == "postgresql":
        found = _PRICING_PRODUCTS[with_stock_available].objects(customer.pk, skus)
    else:
        found = _pricing_products(customer.pk, skus, with_stock=with_stock_available, compiled=False)
    products = {p.sku: p for p in found}
    prefetch_related_objects([p for p in products.values() if p.has_options], "options__values")
    negotiated = {sku: p.negotiated_price for sku, p in products.items() if p.negotiated_price is not None}
    reference = pricing_reference()
    tier_percent = reference.tier_percent.get(customer.tier, ZERO)
    tax_rate = settings.DEFAULT_TAX_RATE
    priced: list[PricedLine] = []
    for index, line in enumerate(lines):
        prefix = f"lines[{index}]"
        product = products.get(line.sku)
        if product is None:
            errors[f"{prefix}.sku"] = [_("Unknown SKU “%(sku)s”.") % {"sku": line.sku}]
            continue
        if not product.is_active:
            errors[f"{prefix}.sku"] = [_("Product %(sku)s is no longer sold.") % {"sku": line.sku}]
            continue
        if line.quantity < 1 or line.quantity > settings.ORDER_LINE_MAX_QUANTITY:
            errors[f"{prefix}.quantity"] = [
                _("Quantity must be between 1 and %(max)d.") % {"max": settings.ORDER_LINE_MAX_QUANTITY}
            ]
        elif product.pack_size > 1 and line.quantity % product.pack_size:
            errors[f"{prefix}.quantity"] = [
                _("%(sku)s is sold in packs of %(pack)d.") % {"sku": product.sku, "pack": product.pack_size}
            ]
        delta, custom, label = _validate_options(product, line.options or {}, prefix, errors)
        if errors:
            continue
        if line.sku in negotiated:
            unit_price, discount_percent = quantize_money(negotiated[line.sku] + delta), ZERO
        else:
            unit_price, discount_percent = quantize_money(product.list_price + delta), tier_percent
        if unit_price < 0:
            errors[f"{prefix}.options"] = [_("This configuration would have a negative price.")]
            continue
        discount, net, tax, total = price_line_amounts(
            unit_price=unit_price,
            quantity=line.quantity,
            discount_percent=discount_percent,
            tax_rate=tax_rate,
        )
        if total >= MAX_LINES_AMOUNT:
            errors[f"{prefix}.quantity"] = [_("The line amount is too large; split the order.")]
            continue
        priced.append(
            PricedLine(
                position=index + 1,
                product=product,
                sku=product.sku,
                description=(f"{product.name} ({label})" if label else product.name)[:255],
                quantity=line.quantity,
                options=dict(line.options or {}),
                unit_price=unit_price,
                discount_percent=discount_percent,
                discount_amount=discount,
                net_amount=net,
                tax_rate=tax_rate,
                tax_amount=tax,
                line_total=total,
                is_custom_build=custom or product.made_to_order,
            )
        )
    if errors:
        raise ValidationFailed(fields=errors)
    if sum((p.line_total for p in priced), ZERO) >= MAX_LINES_AMOUNT:
        raise ValidationFailed(fields={"lines": [_("The order amount is too large; split the order.")]})
    return PricedLines(
        lines=priced,
        subtotal=sum((p.net_amount for p in priced), ZERO),
        discount_total=sum((p.discount_amount for p in priced), ZERO),
        tax_total=sum((p.tax_amount for p in priced), ZERO),
        weight_kg=sum((p.product.weight_kg * p.quantity for p in priced), Decimal("0")),
        reference=reference,
    )


def shipping_estimate(
    *, region: str, subtotal: Decimal, weight_kg: Decimal, reference: PricingReference | None = None
) -> tuple[Decimal, int]:
    """Shipping fee and transit days to `region` (falls back to the `*` rate; none → free, 3 days).

    `reference`: the tables already read for this order (PricedLines.reference); else read now.
    Raises ValidationFailed (`lines`) when the fee would reach MAX_SHIPPING_FEE.
    """
    rates = (pricing_reference() if reference is None else reference).shipping_rates
    rate = rates.get(region or "") or rates.get("*")
    if rate is None:
        return ZERO, 3
    if rate.free_above is not None and subtotal >= rate.free_above:
        return ZERO, rate.transit_days
    fee = rate.base_fee + rate.per_kg * weight_kg
    # Compared before rounding: a fee of 10^26 cannot even be quantized to cents.
    if fee >= MAX_SHIPPING_FEE:
        raise ValidationFailed(fields={"lines": [_("The shipping fee is too large; split the order.")]})
    return quantize_money(fee), rate.transit_days
