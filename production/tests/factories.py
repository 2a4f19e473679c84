import factory

from orders.tests.factories import make_order
from production.models import Plant, WorkOrder


class PlantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plant

    code = factory.Sequence(lambda n: f"P{n:02d}")
    name = factory.Sequence(lambda n: f"Plant {n}")
    region = "Jiangsu"


class WorkOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkOrder

    number = factory.Sequence(lambda n: f"WO-2026-{n:06d}")
    order_line = factory.LazyFunction(lambda: make_order().lines.first())
    order = factory.LazyAttribute(lambda o: o.order_line.order)
    product = factory.LazyAttribute(lambda o: o.order_line.product)
    plant = factory.SubFactory(PlantFactory)
    quantity = 1
