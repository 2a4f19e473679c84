"""Who may act for which customer, and the portal roles that follow from it."""

import pytest
from django.contrib.auth.models import AnonymousUser, Group

from crm.roles import SALES_REP
from crm.selectors import (
    customer_list_for_rep_or_dealer,
    customer_list_for_user,
    is_dealer,
    is_rep_or_dealer,
    is_sales_rep,
)
from crm.tests.factories import CustomerFactory, UserFactory, dealer_user


@pytest.mark.django_db
def test_a_dealer_user_acts_for_its_active_customers_only():
    active = CustomerFactory()
    user = dealer_user(customer=active)
    CustomerFactory(is_active=False).users.add(user)
    CustomerFactory()

    assert list(customer_list_for_user(user=user)) == [active]


@pytest.mark.django_db
def test_a_dealer_is_a_dealer_and_not_a_rep():
    user = dealer_user()

    assert is_dealer(user)
    assert not is_sales_rep(user)
    assert is_rep_or_dealer(user)


@pytest.mark.django_db
def test_a_customers_rep_or_a_member_of_the_rep_group_is_a_sales_rep():
    assigned = UserFactory()
    CustomerFactory(sales_rep=assigned)
    member = UserFactory()
    member.groups.add(Group.objects.get_or_create(name=SALES_REP)[0])

    assert is_sales_rep(assigned)
    assert is_sales_rep(member)
    assert not is_dealer(assigned)


@pytest.mark.django_db
def test_an_anonymous_or_unattached_user_has_no_role():
    assert not is_rep_or_dealer(AnonymousUser())
    assert not is_rep_or_dealer(UserFactory())


@pytest.mark.django_db
def test_roles_are_read_once_per_user_object(django_assert_num_queries):
    user = dealer_user()

    with django_assert_num_queries(3):
        is_sales_rep(user)
    with django_assert_num_queries(0):
        is_dealer(user)
        is_rep_or_dealer(user)


@pytest.mark.django_db
def test_a_rep_who_is_also_a_dealer_reaches_both_sets_of_customers_once_each():
    user = UserFactory()
    own = CustomerFactory(name="B own")
    own.users.add(user)
    represented = CustomerFactory(name="A represented", sales_rep=user)
    represented.users.add(user)
    CustomerFactory(name="C foreign")

    assert list(customer_list_for_rep_or_dealer(user=user)) == [represented, own]
