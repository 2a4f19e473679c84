"""core.db.BulkInsert writes exactly what bulk_create writes, and hands back saved objects."""

from decimal import Decimal

import pytest

from core.db import BulkInsert
from inventory.tests.factories import ProductFactory
from orders.models import CommittedDemand, OrderEvent, OrderLine
from orders.services.commitments import COMMITTED_DEMAND_OF_INSERTED
from orders.tests.factories import make_order, recount_commitments

pytestmark = pytest.mark.postgres

LINE_COLUMNS = [
    f.attname for f in OrderLine._meta.concrete_fields if not f.primary_key and f.attname != "order_id"
]
EVENT_COLUMNS = [
    f.attname for f in OrderEvent._meta.concrete_fields if not f.primary_key and f.attname != "order_id"
]


def _lines(order, product):
    return [
        OrderLine(
            order=order,
            position=100 + i,
            product=product,
            sku=product.sku,
            description=f"Line {i} — 北门",
            quantity=i + 1,
            options={"cab": "sleeper"} if i else {},
            unit_price=Decimal("12.35"),
            discount_percent=Decimal("5.00"),
            discount_amount=Decimal("0.62"),
            net_amount=Decimal("11.73"),
            tax_rate=Decimal("0.1300"),
            tax_amount=Decimal("1.52"),
            line_total=Decimal("13.25"),
            is_custom_build=bool(i),
        )
        for i in range(3)
    ]


def _events(order):
    return [
        OrderEvent(order=order, kind="order.created", to_status="draft", data={"total": "1.00", "n": [1, 2]}),
        OrderEvent(order=order, kind="order.submitted", from_status="draft", to_status="submitted", note="x"),
    ]


@pytest.mark.django_db
def test_rows_and_objects_equal_bulk_creates():
    first, second = make_order(), make_order()
    product = ProductFactory()

    inserted = BulkInsert(OrderLine)(_lines(first, product))
    OrderLine.objects.bulk_create(_lines(second, product))
    BulkInsert(OrderEvent)(_events(first))
    OrderEvent.objects.bulk_create(_events(second))

    def rows(model, order, columns, **only):
        return list(model.objects.filter(order=order, **only).order_by("pk").values_list(*columns))

    mine = {"position__gte": 100}
    assert rows(OrderLine, first, LINE_COLUMNS, **mine) == rows(OrderLine, second, LINE_COLUMNS, **mine)
    assert len(rows(OrderLine, first, LINE_COLUMNS, **mine)) == 3
    created = rows(OrderEvent, first, [c for c in EVENT_COLUMNS if c != "created_at"])
    assert created[-2:] == rows(OrderEvent, second, [c for c in EVENT_COLUMNS if c != "created_at"])[-2:]
    assert all(line.pk and not line._state.adding and line._state.db == "default" for line in inserted)
    assert sorted(line.pk for line in inserted) == list(
        OrderLine.objects.filter(order=first, position__gte=100).order_by("pk").values_list("pk", flat=True)
    )
    recount_commitments()  # lines written around intake


@pytest.mark.django_db
def test_then_runs_in_the_same_statement_over_the_rows_just_written():
    order, product, other = make_order(), ProductFactory(), ProductFactory()
    lines = _lines(order, product) + [*_lines(order, other)][:1]
    for i, line in enumerate(lines):
        line.position, line.committed_units = 200 + i, i + 1
    insert = BulkInsert(OrderLine, then=COMMITTED_DEMAND_OF_INSERTED)

    inserted, ran = insert.run(lines)

    assert ran
    # primary keys handed back in the objects' order, as the rows were written
    assert [line.pk for line in inserted] == list(
        OrderLine.objects.filter(order=order, position__gte=200)
        .order_by("position")
        .values_list("pk", flat=True)
    )
    assert sorted(
        CommittedDemand.objects.filter(product__in=[product, other]).values_list("product", "units")
    ) == [
        (product.pk, 1 + 2 + 3),
        (other.pk, 4),
    ]
    recount_commitments()  # lines written around intake
