"""orders.selectors.order_event_list_for_user: the one rule for what a rep or a dealer sees of a timeline.

On main the portal and the API each decided this themselves and named every actor who was not
`is_staff`, so a dealer saw the username of the sales rep who placed the order for them.
"""

import pytest
from django.utils import translation

from crm.tests.factories import CustomerFactory, UserFactory, dealer_user
from orders.models import OrderEvent
from orders.selectors import order_event_list_for_user
from orders.services import order_start_review
from orders.tests.factories import make_order


@pytest.fixture
def timeline(db):
    """An order placed by its customer's sales rep, reviewed by staff, rescored by the system, and
    edited by one of the dealer's colleagues."""
    rep = UserFactory(username="rep.li", first_name="Na", last_name="Li")
    customer = CustomerFactory(sales_rep=rep)
    dealer = dealer_user(customer, username="dealer.dan")
    colleague = dealer_user(customer, username="dealer.amy", first_name="Amy", last_name="Wu")
    reviewer = UserFactory(username="li.reviewer", is_staff=True)
    order = make_order(customer=customer, actor=rep)
    order_start_review(order_id=order.pk, actor=reviewer)
    OrderEvent.record(order=order, kind="order.priority_scored", data={"from": 0, "to": 10})
    OrderEvent.record(order=order, kind="order.updated", actor=colleague, data={"fields": ["notes"]})
    return order, rep, dealer


def seen(events) -> list[tuple[str, str | None]]:
    return [(event.kind, event.actor_name) for event in events]


def test_a_rep_sees_every_entry_and_who_acted(timeline):
    order, rep, _dealer = timeline

    assert seen(order_event_list_for_user(user=rep, order=order)) == [
        ("order.updated", "Amy Wu"),
        ("order.priority_scored", None),
        ("order.in_review", "li.reviewer"),
        ("order.review_rules_checked", "li.reviewer"),
        ("order.submitted", "Na Li"),
        ("order.created", "Na Li"),
    ]


def test_a_dealer_sees_no_bookkeeping_and_the_sellers_people_only_as_staff(timeline):
    order, _rep, dealer = timeline

    assert seen(order_event_list_for_user(user=dealer, order=order)) == [
        ("order.updated", "Amy Wu"),
        ("order.in_review", "Staff"),
        ("order.submitted", "Staff"),
        ("order.created", "Staff"),
    ]


def test_the_staff_label_is_in_the_viewers_language(timeline):
    order, _rep, dealer = timeline

    with translation.override("zh-hans"):
        names = {event.actor_name for event in order_event_list_for_user(user=dealer, order=order)}
        staff = translation.gettext("Staff")

    assert staff != "Staff"
    assert names == {"Amy Wu", staff}


def test_another_dealer_and_a_user_without_a_role_see_nothing(timeline):
    order, _rep, _dealer = timeline
    other_dealer = dealer_user(CustomerFactory(), username="dealer.other")
    nobody = UserFactory(username="nobody")

    assert list(order_event_list_for_user(user=other_dealer, order=order)) == []
    assert list(order_event_list_for_user(user=nobody, order=order)) == []
