from decimal import Decimal

import factory

from crm.tests.factories import CustomerFactory
from inventory.tests.factories import ProductFactory
from pricing.models import CustomerPrice, ShippingRate, TierDiscount


class TierDiscountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TierDiscount
        django_get_or_create = ("tier",)

    tier = "gold"
    percent = Decimal("5.00")


class CustomerPriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerPrice

    customer = factory.SubFactory(CustomerFactory)
    product = factory.SubFactory(ProductFactory)
    price = Decimal("90.00")


class ShippingRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShippingRate
        django_get_or_create = ("region",)

    region = "Guangdong"
    base_fee = Decimal("20.00")
    per_kg = Decimal("1.50")
