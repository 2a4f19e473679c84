"""The review rule engine (orders.review): conditions as data, every operator and combination, the check
made when a rule is saved, and the facts read for many orders in a bounded number of queries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.errors import ValidationFailed
from crm.models import Customer
from crm.roles import FINANCE, LOGISTICS_SPECIALIST, ORDER_MANAGER
from crm.tests.factories import CustomerFactory
from inventory.tests.factories import ProductFactory
from orders.models import Channel, Order, OrderLine, ReviewRule
from orders.review import (
    FIELDS,
    condition_matches,
    condition_text,
    condition_validate,
    review_evaluate,
    review_facts,
)
from orders.states import OrderStatus
from orders.tests.factories import make_order, recount_commitments
from orders.tests.review import make_rule, only_rules, role

S = OrderStatus


def leaf(field, op, value=None):
    node = {"field": field, "op": op}
    if value is not None:
        node["value"] = value
    return node


FACTS = {
    "order_total": Decimal("1500000.00"),
    "max_discount_percent": Decimal("12.50"),
    "has_custom_build_line": True,
    "customer_over_credit_limit": False,
    "customer_overdue_days": 31,
    "customer_on_credit_hold": False,
    "first_order": True,
    "requested_before_atp": False,
    "channel": "dealer_api",
    "customer_tier": "gold",
}


# --- every operator ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        (leaf("order_total", "eq", 1500000), True),
        (leaf("order_total", "eq", "1500000.00"), True),
        (leaf("order_total", "eq", 1500000.01), False),
        (leaf("order_total", "ne", 1500000), False),
        (leaf("order_total", "ne", 1), True),
        (leaf("order_total", "gt", 1000000), True),
        (leaf("order_total", "gt", 1500000), False),
        (leaf("order_total", "gte", 1500000), True),
        (leaf("order_total", "gte", "1500000.01"), False),
        (leaf("order_total", "lt", 1500000), False),
        (leaf("order_total", "lt", 2000000), True),
        (leaf("order_total", "lte", 1500000), True),
        (leaf("order_total", "lte", 1499999.99), False),
        (leaf("max_discount_percent", "gt", 12.4), True),
        (leaf("max_discount_percent", "gt", 12.5), False),
        (leaf("customer_overdue_days", "gt", 30), True),
        (leaf("customer_overdue_days", "gte", 32), False),
        (leaf("has_custom_build_line", "is_true"), True),
        (leaf("has_custom_build_line", "is_false"), False),
        (leaf("customer_over_credit_limit", "is_true"), False),
        (leaf("customer_over_credit_limit", "is_false"), True),
        (leaf("channel", "eq", "dealer_api"), True),
        (leaf("channel", "ne", "dealer_api"), False),
        (leaf("channel", "in", ["online", "dealer_api"]), True),
        (leaf("channel", "in", ["online"]), False),
        (leaf("channel", "not_in", ["online"]), True),
        (leaf("channel", "not_in", ["online", "dealer_api"]), False),
        (leaf("customer_tier", "eq", "gold"), True),
        (leaf("customer_tier", "in", ["silver", "platinum"]), False),
    ],
)
def test_each_operator(node, expected):
    condition = {"all": [node]}
    condition_validate(condition)

    assert condition_matches(condition, FACTS) is expected


# --- combinations ------------------------------------------------------------------------------

BIG = leaf("order_total", "gt", 1000000)  # true
HUGE = leaf("order_total", "gt", 5000000)  # false
CUSTOM = leaf("has_custom_build_line", "is_true")  # true
HOLD = leaf("customer_on_credit_hold", "is_true")  # false


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"all": []}, True),
        ({"all": [BIG]}, True),
        ({"all": [BIG, CUSTOM]}, True),
        ({"all": [BIG, HUGE]}, False),
        ({"any": [HUGE, HOLD]}, False),
        ({"any": [HUGE, CUSTOM]}, True),
        ({"any": [HUGE, {"all": [BIG, CUSTOM]}]}, True),
        ({"all": [BIG, {"any": [HUGE, HOLD]}]}, False),
        ({"all": [{"any": [HOLD, {"all": [CUSTOM, {"any": [HUGE, BIG]}]}]}]}, True),
    ],
)
def test_groups_combine_with_and_and_or_at_any_depth(condition, expected):
    condition_validate(condition)

    assert condition_matches(condition, FACTS) is expected


def test_a_condition_reads_as_words():
    text = condition_text({"any": [HUGE, {"all": [BIG, CUSTOM]}]})

    assert text == (
        "order total is above 5,000,000 or "
        "(order total is above 1,000,000 and has a custom-build line is true)"
    )
    assert condition_text({"all": []}) == "every order"


# --- the check when a rule is saved -------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "path", "message"),
    [
        ([], "condition", "is a group"),
        ({"field": "order_total", "op": "gt", "value": 1}, "condition", "is a group"),
        ({"all": [leaf("colour", "eq", "red")]}, "condition.all[0].field", "Unknown field 'colour'"),
        ({"all": [leaf("order_total", "is_true")]}, "condition.all[0].op", "Unknown operator 'is_true'"),
        ({"all": [leaf("channel", "gt", "online")]}, "condition.all[0].op", "Unknown operator 'gt'"),
        ({"all": [leaf("order_total", "gt", "a lot")]}, "condition.all[0].value", "Give a number"),
        ({"all": [leaf("order_total", "gt", True)]}, "condition.all[0].value", "Give a number"),
        ({"all": [leaf("customer_overdue_days", "gt", 1.5)]}, "condition.all[0].value", "whole number"),
        ({"all": [leaf("channel", "eq", "fax")]}, "condition.all[0].value", "Unknown value fax"),
        ({"all": [leaf("channel", "in", "online")]}, "condition.all[0].value", "list"),
        ({"all": [leaf("channel", "in", [])]}, "condition.all[0].value", "list"),
        ({"all": [leaf("first_order", "is_true", 3)]}, "condition.all[0].value", "takes no value"),
        ({"any": []}, "condition.any", "at least one"),
        ({"all": {"field": "order_total"}}, "condition.all", "list"),
        ({"all": [], "any": []}, "condition", "exactly one key"),
        (
            {"all": [{"field": "order_total", "op": "gt", "value": 1, "unit": "CNY"}]},
            "condition.all[0]",
            "Unknown keys",
        ),
        ({"all": ["order_total > 1"]}, "condition.all[0]", "is an object"),
    ],
)
def test_a_faulty_condition_is_refused_with_the_path_of_the_fault(condition, path, message):
    with pytest.raises(ValidationFailed) as refused:
        condition_validate(condition)

    assert message in " ".join(refused.value.fields[path])


def test_every_fault_of_a_condition_is_reported_at_once():
    with pytest.raises(ValidationFailed) as refused:
        condition_validate({"all": [leaf("colour", "eq", 1), {"any": [leaf("order_total", "gt", "x")]}]})

    assert set(refused.value.fields) == {"condition.all[0].field", "condition.all[1].any[0].value"}


@pytest.mark.django_db
def test_saving_a_rule_checks_its_condition_and_its_group_and_writes_nothing_when_refused():
    before = ReviewRule.objects.count()

    with pytest.raises(ValidationFailed) as refused:
        make_rule("Bad", {"all": [leaf("order_total", "gt", "lots")]}, LOGISTICS_SPECIALIST)

    assert set(refused.value.fields) == {"condition.all[0].value", "role"}
    assert "cannot review orders" in refused.value.fields["role"][0]
    assert ReviewRule.objects.count() == before


@pytest.mark.django_db
def test_a_valid_rule_is_saved():
    rule = make_rule("Big", {"all": [BIG]}, FINANCE, level=2)

    rule.refresh_from_db()
    assert (rule.condition, rule.role, rule.level) == ({"all": [BIG]}, role(FINANCE), 2)


# --- facts -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_order_facts_come_from_the_saved_order_its_lines_and_its_customer():
    today = dt.date(2026, 6, 30)
    customer = CustomerFactory(
        tier="gold",
        credit_limit=Decimal("1000.00"),
        overdue_since=dt.date(2026, 5, 30),
        credit_hold=True,
    )
    # a negotiated-looking line (unit price below list) and a custom build
    cheap, custom = ProductFactory(list_price=Decimal("200.00")), ProductFactory(list_price=Decimal("50.00"))
    order = make_order(customer=customer, products=[cheap, custom], channel=Channel.DEALER_API)
    OrderLine.objects.filter(order=order, product=cheap).update(
        unit_price=Decimal("150.00"), net_amount=Decimal("150.00")
    )
    OrderLine.objects.filter(order=order, product=custom).update(is_custom_build=True)
    recount_commitments()
    Order.objects.filter(pk=order.pk).update(
        requested_delivery_date=dt.date(2026, 7, 1), promised_delivery_date=dt.date(2026, 7, 10)
    )
    order.refresh_from_db()

    facts = review_facts(order_ids=[order.pk], today=today)[order.pk]

    assert facts == {
        "order_total": order.total,
        "max_discount_percent": Decimal("25.00"),
        "has_custom_build_line": True,
        # exposure 0 + this order's own total (not counted in exposure while under review) > 1,000
        "customer_over_credit_limit": order.total > Decimal("1000.00"),
        "customer_overdue_days": 31,
        "customer_on_credit_hold": True,
        "first_order": True,
        "requested_before_atp": True,
        "channel": "dealer_api",
        "customer_tier": "gold",
    }
    assert set(facts) == set(FIELDS)


@pytest.mark.django_db
def test_a_tier_discount_is_the_lines_discount_against_list():
    product = ProductFactory(list_price=Decimal("100.00"))
    order = make_order(products=[product])
    OrderLine.objects.filter(order=order).update(
        discount_percent=Decimal("7.50"), discount_amount=Decimal("7.50"), net_amount=Decimal("92.50")
    )

    assert review_facts(order_ids=[order.pk])[order.pk]["max_discount_percent"] == Decimal("7.50")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("limit", "exposure", "status", "figures", "over"),
    [
        ("0.00", "999999.00", S.SUBMITTED, None, False),  # 0: no limit set
        # finance has not counted the order yet (no figures, or figures from before it was submitted):
        # its own total tips it over
        ("1000000.00", "999999.00", S.SUBMITTED, None, True),
        ("1000000.00", "999999.00", S.SUBMITTED, "before", True),
        # finance's figures were computed after the submission: the order is in them, once
        ("1000000.00", "999999.00", S.SUBMITTED, "after", False),
        ("1000000.00", "999999.00", S.APPROVED, "after", False),
        ("1000000.00", "1000001.00", S.APPROVED, "after", True),
    ],
)
def test_over_the_credit_limit_counts_the_order_once(limit, exposure, status, figures, over):
    customer = CustomerFactory(credit_limit=Decimal(limit), credit_exposure=Decimal(exposure))
    order = make_order(customer=customer, status=status)
    submitted = Order.objects.values_list("submitted_at", flat=True).get(pk=order.pk)
    if figures:
        shift = dt.timedelta(minutes=-1 if figures == "before" else 1)
        Customer.objects.filter(pk=customer.pk).update(credit_position_at=submitted + shift)

    assert review_facts(order_ids=[order.pk])[order.pk]["customer_over_credit_limit"] is over


@pytest.mark.django_db
def test_first_order_ignores_drafts_cancelled_and_rejected_orders_and_counts_earlier_ones():
    customer = CustomerFactory()
    make_order(customer=customer, status=S.DRAFT)
    make_order(customer=customer, status=S.CANCELLED)
    make_order(customer=customer, status=S.REJECTED)
    first = make_order(customer=customer)
    second = make_order(customer=customer)

    facts = review_facts(order_ids=[first.pk, second.pk])

    assert (facts[first.pk]["first_order"], facts[second.pk]["first_order"]) == (True, False)


@pytest.mark.django_db
def test_nothing_overdue_is_zero_days_and_no_requested_date_is_not_early():
    order = make_order()

    facts = review_facts(order_ids=[order.pk])[order.pk]

    assert (facts["customer_overdue_days"], facts["requested_before_atp"]) == (0, False)


@pytest.mark.django_db
def test_evaluating_many_orders_takes_the_same_queries_as_one(monkeypatch):
    only_rules(
        make_rule("Big", {"all": [leaf("order_total", "gt", 150)]}),
        make_rule("Gold", {"any": [leaf("customer_tier", "eq", "gold")]}, FINANCE, level=2),
    )
    gold = make_order(customer=CustomerFactory(tier="gold"), products=[ProductFactory(list_price=1000)])
    one = [gold.pk]
    many = one + [make_order(quantities=[n, 1]).pk for n in range(1, 12)]
    monkeypatch.setattr("orders.review.BATCH", 5)

    with CaptureQueriesContext(connection) as single:
        review_evaluate(order_ids=one)
    with CaptureQueriesContext(connection) as batch:
        matched = review_evaluate(order_ids=many[:5])

    # one query for the rules, three per batch of orders: none per order
    assert len(single.captured_queries) == len(batch.captured_queries) == 4
    assert [rule.name for rule in matched[gold.pk]] == ["Big", "Gold"]
    with CaptureQueriesContext(connection) as three_batches:
        review_evaluate(order_ids=many)
    assert len(three_batches.captured_queries) == 1 + 3 * 3


@pytest.mark.django_db
def test_inactive_rules_are_not_evaluated():
    rule = make_rule("Every order, again", {"all": []}, ORDER_MANAGER)
    only_rules(rule)
    order = make_order()
    ReviewRule.objects.filter(pk=rule.pk).update(is_active=False)

    assert review_evaluate(order_ids=[order.pk]) == {order.pk: []}
