"""Which family builds a product, and what its bill of materials needs for a configuration."""

from decimal import Decimal

import pytest

from inventory.tests.factories import ProductFactory, ProductOptionFactory, ProductOptionValueFactory
from production.bom import bom_requirements, family_for_product
from production.models import BomLine
from production.tests.factories import make_production_setup


@pytest.mark.django_db
def test_a_product_belongs_to_the_family_of_its_category_and_others_to_none():
    family, _plant, _line, _stages, product = make_production_setup()

    assert family_for_product(product) == family
    assert family_for_product(ProductFactory()) is None


@pytest.mark.django_db
def test_an_inactive_family_builds_nothing():
    family, _plant, _line, _stages, product = make_production_setup()
    family.is_active = False
    family.save()

    assert family_for_product(product) is None


@pytest.mark.django_db
def test_requirements_add_the_chosen_option_values_lines_to_the_base_and_round_up():
    # given a truck needing 2 wheels and 0.5 m of hose per unit, and a big engine option that needs a turbo
    _family, _plant, _line, _stages, truck = make_production_setup()
    engine = ProductOptionFactory(product=truck, code="engine", name="Engine")
    big = ProductOptionValueFactory(option=engine, code="big")
    small = ProductOptionValueFactory(option=engine, code="small")
    wheel, hose, turbo, filter_ = ProductFactory(), ProductFactory(), ProductFactory(), ProductFactory()
    BomLine.objects.create(product=truck, component=wheel, quantity=Decimal("2"))
    BomLine.objects.create(product=truck, component=hose, quantity=Decimal("0.5"))
    BomLine.objects.create(product=truck, option_value=big, component=turbo, quantity=Decimal("1"))
    BomLine.objects.create(product=truck, option_value=small, component=filter_, quantity=Decimal("1"))
    BomLine.objects.create(product=truck, option_value=big, component=hose, quantity=Decimal("0.25"))

    # when 3 trucks with the big engine are needed
    needs = bom_requirements(product_id=truck.pk, options={"engine": "big"}, quantity=3)

    # then base lines and the big engine's lines count, a shared component adds up, rounded up
    assert needs == {wheel.pk: 6, hose.pk: 3, turbo.pk: 3}  # hose: 0.75 × 3 = 2.25 → 3


@pytest.mark.django_db
def test_requirements_without_options_are_the_base_lines():
    _family, _plant, _line, _stages, truck = make_production_setup()
    wheel = ProductFactory()
    BomLine.objects.create(product=truck, component=wheel, quantity=Decimal("4"))

    assert bom_requirements(product_id=truck.pk, options={}, quantity=2) == {wheel.pk: 8}
