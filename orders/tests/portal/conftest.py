import pytest

from crm.tests.factories import AddressFactory, CustomerFactory, UserFactory, dealer_user
from inventory.tests.factories import ProductFactory


@pytest.fixture
def rep(db):
    return UserFactory(username="rep-rita")


@pytest.fixture
def rep_customer(rep):
    customer = CustomerFactory(name="Acme Furniture", sales_rep=rep)
    AddressFactory(customer=customer)
    return customer


@pytest.fixture
def dealer_customer(db):
    customer = CustomerFactory(name="Dealer One")
    AddressFactory(customer=customer)
    return customer


@pytest.fixture
def dealer(dealer_customer):
    return dealer_user(dealer_customer, username="dealer-dan")


@pytest.fixture
def product(db):
    return ProductFactory(sku="CHAIR-01", name="Office chair")


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider-olga")
