"""The order page's substitutes block (issue #8): for each backordered line, in-stock products that
could replace it. Kept apart from the allocation display in orders/admin.py; read-only."""

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders.models import Order
from orders.selectors import order_backorder_substitutes

FIELD = "backorder_substitutes"


# The order page's section for it: OrderAdmin lists FIELD among its read-only fields and appends this.
FIELDSET = (gettext_lazy("Substitutes for backordered lines"), {"fields": (FIELD,)})


class OrderSubstitutesAdminMixin:
    """Gives OrderAdmin the read-only `backorder_substitutes` display (shown in FIELDSET)."""

    @admin.display(description=gettext_lazy("substitutes"))
    def backorder_substitutes(self, obj: Order):
        rows = order_backorder_substitutes(order=obj)
        if not rows:
            return "-"
        items = []
        for row in rows:
            offers = (
                format_html_join(
                    ", ",
                    "{} {} ({})",
                    (
                        (s.product.sku, s.product.name, _("%(n)d available") % {"n": s.available})
                        for s in row.substitutes
                    ),
                )
                if row.substitutes
                else _("none in stock")
            )
            items.append(
                format_html(
                    "<li>#{} {} — {}: {}</li>",
                    row.line.position,
                    row.line.sku,
                    _("%(n)d backordered") % {"n": row.backordered},
                    offers,
                )
            )
        return format_html("<ul>{}</ul>", format_html_join("", "{}", ((item,) for item in items)))
