from decimal import Decimal

import factory
from django.utils import timezone

from analytics.models import DailySales


class DailySalesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DailySales

    day = factory.LazyFunction(timezone.localdate)
    channel = "dealer_api"
    orders = 3
    revenue = Decimal("1234.50")
