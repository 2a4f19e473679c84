import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from crm.models import Address, Contact, Customer, CustomerKind, CustomerTier


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pass12345!")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    code = factory.Sequence(lambda n: f"C{n:05d}")
    name = factory.Sequence(lambda n: f"Customer {n}")
    kind = CustomerKind.DEALER
    tier = CustomerTier.STANDARD
    credit_limit = 1_000_000


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    customer = factory.SubFactory(CustomerFactory)
    label = "HQ"
    recipient = "Li Wei"
    phone = "13800000000"
    region = "Guangdong"
    city = "Guangzhou"
    line1 = "1 Tianhe Road"
    is_default_shipping = True


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = "Wang Fang"
    role = "Purchasing"
    email = "wang@example.com"


def dealer_user(customer=None, **kwargs):
    """A user acting for `customer` (a new dealer when omitted)."""
    customer = customer or CustomerFactory()
    user = UserFactory(**kwargs)
    customer.users.add(user)
    group = Group.objects.filter(name="Dealer").first()
    if group:
        user.groups.add(group)
    return user
