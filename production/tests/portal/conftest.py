import copy

import pytest
from django.contrib.auth.models import Group

from crm.roles import PLANT_SUPERVISOR
from crm.tests.factories import CustomerFactory, UserFactory
from orders.tests.factories import make_order
from production.tests.factories import PlantFactory
from production.tests.factories_floor import make_work_order


@pytest.fixture(autouse=True)
def nav_roles(settings):
    """The nav's role flags, as the portal's settings have them (production's once the lead wires it)."""
    templates = copy.deepcopy(settings.TEMPLATES)
    processors = templates[0]["OPTIONS"]["context_processors"]
    for name in (
        "orders.portal.context_processors.portal_roles",
        "production.portal.context_processors.production_roles",
    ):
        if name not in processors:
            processors.append(name)
    settings.TEMPLATES = templates


@pytest.fixture
def plant(db):
    return PlantFactory(code="SZ1", name="Suzhou")


@pytest.fixture
def supervisor(plant):
    user = UserFactory(username="sup-sam")
    user.groups.add(Group.objects.get(name=PLANT_SUPERVISOR))
    plant.supervisors.add(user)
    return user


@pytest.fixture
def rep(db):
    return UserFactory(username="rep-rita")


@pytest.fixture
def rep_work_order(rep, plant):
    order = make_order(customer=CustomerFactory(name="Acme Trucks", sales_rep=rep))
    line = order.lines.first()
    return make_work_order(plant=plant, order_line=line, order=order, product=line.product)
