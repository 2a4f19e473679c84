"""Issue #9's first guards on approval: it is of the version reviewed, and never of one's own order.

Every order here needs the default rule's approval (migration orders 0004: every order, by an order
manager), so the approvers are order managers.
"""

import pytest

from crm.roles import ORDER_MANAGER
from crm.tests.factories import UserFactory
from orders.errors import ApprovalOfChangedOrder, SelfApprovalRefused
from orders.models import Order, OrderEvent
from orders.services import order_approve
from orders.states import OrderStatus
from orders.tests.factories import make_order
from orders.tests.review import staff_in

S = OrderStatus


@pytest.mark.django_db
def test_an_order_changed_after_the_reviewer_saw_it_is_not_approved_and_nothing_is_written():
    order = make_order()
    seen = order.version
    Order.objects.filter(pk=order.pk).update(version=seen + 1)
    events = OrderEvent.objects.count()

    with pytest.raises(ApprovalOfChangedOrder) as refused:
        order_approve(order_id=order.pk, actor=staff_in(ORDER_MANAGER), expected_version=seen)

    order.refresh_from_db()
    assert order.status == S.SUBMITTED
    assert OrderEvent.objects.count() == events
    assert not order.approvals.exists()
    assert refused.value.extra == {"order": order.number, "seen_version": seen, "current_version": seen + 1}
    assert refused.value.status == 409


@pytest.mark.django_db
def test_the_version_seen_approves():
    order = make_order()

    approved = order_approve(order_id=order.pk, actor=staff_in(ORDER_MANAGER), expected_version=order.version)

    # submitted → in review (the rules evaluated) → approved
    assert approved.status == S.APPROVED
    assert approved.version == order.version + 2


@pytest.mark.django_db
def test_nobody_approves_an_order_they_entered():
    author = staff_in(ORDER_MANAGER)
    order = make_order(actor=author)

    with pytest.raises(SelfApprovalRefused) as refused:
        order_approve(order_id=order.pk, actor=author)

    assert refused.value.status == 403
    order.refresh_from_db()
    assert order.status == S.SUBMITTED
    assert not order.approvals.exists()
    assert order_approve(order_id=order.pk, actor=staff_in(ORDER_MANAGER)).status == S.APPROVED


@pytest.mark.django_db
def test_approving_an_approved_order_again_is_a_harmless_no_op_even_for_its_author():
    author = UserFactory()
    order = make_order(actor=author)
    order_approve(order_id=order.pk, actor=staff_in(ORDER_MANAGER))

    again = order_approve(order_id=order.pk, actor=author, expected_version=1)

    assert again.status == S.APPROVED
