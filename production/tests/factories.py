import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from inventory.tests.factories import CategoryFactory, ProductFactory, WarehouseFactory
from orders.tests.factories import make_order
from production.models import FamilyCategory, Plant, ProductFamily, ProductionLine, RoutingStage, WorkOrder

# A routing of three stages: frame welding → painting → assembly (working days each).
DEFAULT_ROUTING = (
    ("welding", "Frame welding", "1"),
    ("painting", "Painting", "0.5"),
    ("assembly", "Assembly", "1"),
)


class PlantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plant

    code = factory.Sequence(lambda n: f"P{n:02d}")
    name = factory.Sequence(lambda n: f"Plant {n}")
    region = "Jiangsu"


class FamilyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductFamily

    code = factory.Sequence(lambda n: f"family-{n}")
    name = factory.Sequence(lambda n: f"Family {n}")


class FamilyCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FamilyCategory

    family = factory.SubFactory(FamilyFactory)
    category = factory.SubFactory(
        CategoryFactory,
        code=factory.Sequence(lambda n: f"built-{n}"),
        name=factory.Sequence(lambda n: f"Built {n}"),
    )


class ProductionLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductionLine

    plant = factory.SubFactory(PlantFactory, warehouse=factory.SubFactory(WarehouseFactory))
    code = factory.Sequence(lambda n: f"L{n:02d}")
    name = factory.Sequence(lambda n: f"Line {n}")
    family = factory.SubFactory(FamilyFactory)
    units_per_day = 4


class RoutingStageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoutingStage

    family = factory.SubFactory(FamilyFactory)
    position = factory.Sequence(lambda n: n + 1)
    code = factory.Sequence(lambda n: f"stage-{n}")
    name = factory.Sequence(lambda n: f"Stage {n}")
    standard_days = Decimal("1")


def make_routing(family, stages=DEFAULT_ROUTING) -> list[RoutingStage]:
    """The family's routing from (code, name, standard days) rows, in order."""
    return [
        RoutingStageFactory(family=family, position=i, code=code, name=name, standard_days=Decimal(days))
        for i, (code, name, days) in enumerate(stages, start=1)
    ]


def make_production_setup(
    *,
    units_per_day: int = 4,
    working_weekdays: str = "12345",
    routing=DEFAULT_ROUTING,
    made_to_order: bool = True,
    family=None,
    plant=None,
    **product_kwargs,
):
    """A family with its category and routing, a plant with a warehouse, one line building the
    family, and a product of the family's category (made to order unless told otherwise).

    Returns (family, plant, line, stages, product). Pass `family` to add a plant and line to an
    existing family (its routing is then not created again), `plant` to add a line to a plant.
    """
    if family is None:
        link = FamilyCategoryFactory()
        family = link.family
        stages = make_routing(family, routing)
    else:
        stages = list(family.routing.order_by("position"))
    category = family.category_links.first().category
    if plant is None:
        plant = PlantFactory(warehouse=WarehouseFactory(), working_weekdays=working_weekdays)
    line = ProductionLineFactory(plant=plant, family=family, units_per_day=units_per_day)
    product = ProductFactory(category=category, made_to_order=made_to_order, **product_kwargs)
    return family, plant, line, stages, product


# The contract's name for the same helper.
make_family_setup = make_production_setup


def next_monday(*, weeks: int = 2) -> dt.date:
    """A Monday at least `weeks` weeks ahead: a fixed point for schedules in tests."""
    today = timezone.localdate()
    return today + dt.timedelta(days=7 * weeks - today.weekday())


class WorkOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkOrder

    number = factory.Sequence(lambda n: f"WO-2026-{n:06d}")
    order_line = factory.LazyFunction(lambda: make_order().lines.first())
    order = factory.LazyAttribute(lambda o: o.order_line.order)
    product = factory.LazyAttribute(lambda o: o.order_line.product)
    plant = factory.SubFactory(PlantFactory)
    quantity = 1
