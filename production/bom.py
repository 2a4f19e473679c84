"""Which family builds a product, and what its bill of materials asks for a configuration.

Reads only (no writes): scheduling copies these figures onto a work order when it is created.
"""

from __future__ import annotations

import math
from collections import defaultdict
from decimal import Decimal

from django.db.models import Q

from production.models import BomLine, FamilyCategory, ProductFamily


def family_for_product(product) -> ProductFamily | None:
    """The active family of the product's category (FamilyCategory), or None: not built by production."""
    link = (
        FamilyCategory.objects.filter(category_id=product.category_id, family__is_active=True)
        .select_related("family")
        .first()
    )
    return link.family if link is not None else None


def bom_requirements(*, product_id: int, options: dict, quantity: int) -> dict[int, int]:
    """{component_id: units} to build `quantity` units of the product in the configuration `options`
    ({option_code: value_code}, as on OrderLine.options).

    The base lines (no option value) and the lines of the chosen option values count; a component
    named by several lines adds up, and the total is rounded up to whole units (ceil of quantity
    per unit × quantity). Unknown option codes or values add nothing. One query.
    """
    chosen = Q()
    for option_code, value_code in (options or {}).items():
        chosen |= Q(option_value__option__code=option_code, option_value__code=str(value_code))
    lines = BomLine.objects.filter(product_id=product_id).filter(Q(option_value__isnull=True) | chosen)
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for component_id, per_unit in lines.values_list("component_id", "quantity"):
        totals[component_id] += per_unit * int(quantity)
    return {component_id: math.ceil(total) for component_id, total in totals.items() if total > 0}
