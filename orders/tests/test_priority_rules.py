"""The priority rules (orders.priority): each factor, the weights and their normalisation, the breakdown."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orders import priority
from orders.priority import DEFAULT_FACTORS, FACTOR_ORDER, FactorRule, OrderFacts

TODAY = dt.date(2026, 3, 10)
F = priority.PriorityFactorCode


def facts(**overrides) -> OrderFacts:
    values = {
        "total": Decimal("0.00"),
        "currency": "CNY",
        "tier": "standard",
        "customer_kind": "dealer",
        "requested_delivery_date": None,
        "submitted_on": None,
        "is_promotion": False,
    }
    return OrderFacts(**{**values, **overrides})


def defaults(**weights) -> list[FactorRule]:
    """The default rules (migration 0005's), with some weights replaced."""
    return [
        FactorRule(
            code, weights.get(code, DEFAULT_FACTORS[code]["weight"]), DEFAULT_FACTORS[code]["parameters"]
        )
        for code in FACTOR_ORDER
    ]


def only(code: str, parameters=None) -> list[FactorRule]:
    """A single factor that counts: its points are its share."""
    return [
        FactorRule(code, 10, parameters if parameters is not None else DEFAULT_FACTORS[code]["parameters"])
    ]


def in_days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def _before(*, tier: str, total: Decimal, requested_delivery_date, today) -> int:
    """The hard-coded rule the default weights replace (orders/services/priority.py before issue #9)."""
    score = {"standard": 0, "silver": 10, "gold": 20, "platinum": 30}.get(tier, 0)
    if requested_delivery_date:
        days = (requested_delivery_date - today).days
        score += 40 if days <= 3 else 30 if days <= 7 else 15 if days <= 14 else 5
    for threshold, points in ((Decimal("1000000"), 30), (Decimal("100000"), 20), (Decimal("10000"), 10)):
        if total >= threshold:
            score += points
            break
    return max(0, min(100, score))


# --- the defaults are the rule of before ---------------------------------------------------------------


@pytest.mark.parametrize("tier", ["standard", "silver", "gold", "platinum"])
@pytest.mark.parametrize("days", [None, -5, 0, 3, 4, 7, 8, 14, 15, 90])
@pytest.mark.parametrize("total", ["0.00", "9999.99", "10000.00", "99999.99", "100000.00", "1000000.00"])
def test_the_default_weights_score_as_the_rule_of_before(tier, days, total):
    date = None if days is None else in_days(days)
    given_facts = facts(tier=tier, total=Decimal(total), requested_delivery_date=date)

    result = priority.score(given_facts, defaults(), today=TODAY)

    assert result.score == _before(tier=tier, total=Decimal(total), requested_delivery_date=date, today=TODAY)


# --- each factor --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "share"),
    [
        ("9999.99", "0"),
        ("10000.00", "33.33"),
        ("99999.99", "33.33"),
        ("100000.00", "66.67"),
        ("5000000", "100"),
    ],
)
def test_order_value_earns_the_share_of_the_highest_band_its_total_reaches(total, share):
    result = priority.score(facts(total=Decimal(total)), only(F.VALUE), today=TODAY)

    (entry,) = result.breakdown
    assert entry["share"] == share
    assert entry["fact"] == {"total": str(Decimal(total)), "currency": "CNY"}


@pytest.mark.parametrize(
    ("tier", "kind", "key_account_share", "share"),
    [
        ("gold", "dealer", "80", "66.67"),  # not a key account: the tier's share
        ("standard", "key_account", "80", "80"),  # a key account earns at least its share
        ("platinum", "key_account", "80", "100"),  # … or its tier's, if more
        ("standard", "key_account", "0", "0"),  # the default: being a key account adds nothing
    ],
)
def test_customer_earns_its_tier_share_or_the_key_account_share_whichever_is_more(
    tier, kind, key_account_share, share
):
    parameters = {**DEFAULT_FACTORS[F.CUSTOMER]["parameters"], "key_account": key_account_share}

    result = priority.score(facts(tier=tier, customer_kind=kind), only(F.CUSTOMER, parameters), today=TODAY)

    (entry,) = result.breakdown
    assert entry["share"] == share
    assert entry["fact"] == {"tier": tier, "kind": kind}


@pytest.mark.parametrize(
    ("days", "share"),
    [(None, "0"), (-2, "100"), (0, "100"), (3, "100"), (4, "75"), (7, "75"), (14, "37.5"), (15, "12.5")],
)
def test_urgency_earns_the_share_of_the_first_band_the_days_left_fall_in(days, share):
    date = None if days is None else in_days(days)

    result = priority.score(facts(requested_delivery_date=date), only(F.URGENCY), today=TODAY)

    (entry,) = result.breakdown
    assert entry["share"] == share
    assert entry["fact"] == {"days": days}


@pytest.mark.parametrize(
    ("submitted_days_ago", "share"), [(None, "0"), (0, "0"), (1, "10"), (5, "50"), (10, "100"), (40, "100")]
)
def test_age_in_queue_grows_evenly_from_submission_to_the_full_share(submitted_days_ago, share):
    submitted = None if submitted_days_ago is None else in_days(-submitted_days_ago)

    result = priority.score(facts(submitted_on=submitted), only(F.AGE), today=TODAY)

    (entry,) = result.breakdown
    assert entry["share"] == share
    assert entry["fact"] == {"days": submitted_days_ago}


@pytest.mark.parametrize(("flag", "share"), [(True, "100"), (False, "0")])
def test_a_promotion_order_earns_the_whole_promotion_weight(flag, share):
    result = priority.score(facts(is_promotion=flag), only(F.PROMOTION), today=TODAY)

    (entry,) = result.breakdown
    assert (entry["share"], entry["fact"]) == (share, {"is_promotion": flag})


# --- weights and the normalisation ----------------------------------------------------------------------


def test_a_factor_that_counts_alone_gives_its_share_as_the_score():
    result = priority.score(
        facts(requested_delivery_date=in_days(5)), defaults(customer=0, value=0), today=TODAY
    )

    assert result.score == 75
    assert [e["factor"] for e in result.breakdown] == [F.URGENCY]


def test_weights_are_relative_scaling_them_all_changes_nothing():
    given_facts = facts(
        tier="gold", total=Decimal("150000"), requested_delivery_date=in_days(6), is_promotion=True
    )
    rules = defaults(promotion=20, age=10)
    tripled = [FactorRule(r.code, r.weight * 3, r.parameters) for r in rules]

    scored, scored_tripled = (priority.score(given_facts, r, today=TODAY) for r in (rules, tripled))

    # (30 × 66.67 + 40 × 75 + 30 × 66.67 + 10 × 0 + 20 × 100) / 130 = 69.2
    assert scored.score == scored_tripled.score == 69
    assert [e["points"] for e in scored.breakdown] == [e["points"] for e in scored_tripled.breakdown]


def test_a_heavier_weight_moves_the_score_toward_that_factor():
    # a promotion order with no other merit
    given_facts = facts(is_promotion=True)

    light = priority.score(given_facts, defaults(promotion=10), today=TODAY).score
    heavy = priority.score(given_facts, defaults(promotion=50), today=TODAY).score

    # 10 of 110 → 9 points; 50 of 150 → 33 points
    assert (light, heavy) == (9, 33)


def test_a_factor_of_weight_zero_is_left_out_of_the_breakdown():
    result = priority.score(facts(is_promotion=True), defaults(), today=TODAY)

    assert [e["factor"] for e in result.breakdown] == [F.CUSTOMER, F.URGENCY, F.VALUE]
    assert result.score == 0


def test_no_factor_that_counts_scores_zero_with_an_empty_breakdown():
    assert priority.score(
        facts(is_promotion=True), defaults(customer=0, urgency=0, value=0), today=TODAY
    ) == (priority.Score(0, []))


def test_an_order_that_earns_every_share_in_full_scores_100():
    given_facts = facts(
        tier="platinum",
        total=Decimal("2000000"),
        requested_delivery_date=in_days(1),
        submitted_on=in_days(-30),
        is_promotion=True,
    )

    result = priority.score(given_facts, defaults(age=7, promotion=13), today=TODAY)

    assert result.score == 100
    assert sum(e["points"] for e in result.breakdown) == 100


def test_the_rounding_goes_to_the_largest_remainders_so_the_points_add_up():
    # three equal weights, shares 33.33 / 33.33 / 33.33 → 11.11 points each, 33.33 in all → 33
    parameters = {**DEFAULT_FACTORS[F.CUSTOMER]["parameters"]}
    rules = [
        FactorRule(F.CUSTOMER, 10, parameters),
        FactorRule(F.VALUE, 10, {"bands": [{"min_total": "0", "share": "33.33"}]}),
        FactorRule(
            F.URGENCY, 10, {"bands": [{"within_days": 100, "share": "33.33"}], "later": "0", "undated": "0"}
        ),
    ]

    result = priority.score(facts(tier="silver", requested_delivery_date=in_days(1)), rules, today=TODAY)

    assert result.score == 33
    assert [e["points"] for e in result.breakdown] == [11, 11, 11]


def test_each_breakdown_entry_names_its_factor_weight_share_points_and_fact():
    result = priority.score(facts(tier="gold", requested_delivery_date=in_days(5)), defaults(), today=TODAY)

    assert result.breakdown == [
        {
            "factor": "customer",
            "weight": 30,
            "share": "66.67",
            "points": 20,
            "fact": {"tier": "gold", "kind": "dealer"},
        },
        {"factor": "urgency", "weight": 40, "share": "75", "points": 30, "fact": {"days": 5}},
        {
            "factor": "value",
            "weight": 30,
            "share": "0",
            "points": 0,
            "fact": {"total": "0.00", "currency": "CNY"},
        },
    ]
    assert result.score == 50


@settings(max_examples=300, deadline=None)
@given(
    weights=st.lists(st.integers(min_value=0, max_value=100), min_size=5, max_size=5),
    tier=st.sampled_from(["standard", "silver", "gold", "platinum"]),
    kind=st.sampled_from(["dealer", "key_account"]),
    total=st.decimals(min_value=0, max_value=5_000_000, places=2),
    days_left=st.one_of(st.none(), st.integers(min_value=-30, max_value=60)),
    days_waiting=st.one_of(st.none(), st.integers(min_value=0, max_value=60)),
    promotion=st.booleans(),
    key_account=st.decimals(min_value=0, max_value=100, places=2),
)
def test_the_breakdown_always_sums_to_the_score_and_the_score_stays_0_to_100(
    weights, tier, kind, total, days_left, days_waiting, promotion, key_account
):
    rules = [
        FactorRule(
            code,
            weight,
            {**DEFAULT_FACTORS[code]["parameters"], "key_account": str(key_account)}
            if code == F.CUSTOMER
            else DEFAULT_FACTORS[code]["parameters"],
        )
        for code, weight in zip(FACTOR_ORDER, weights, strict=True)
    ]
    given_facts = facts(
        tier=tier,
        customer_kind=kind,
        total=total,
        requested_delivery_date=None if days_left is None else in_days(days_left),
        submitted_on=None if days_waiting is None else in_days(-days_waiting),
        is_promotion=promotion,
    )

    result = priority.score(given_facts, rules, today=TODAY)

    assert 0 <= result.score <= 100
    assert sum(e["points"] for e in result.breakdown) == result.score
    assert all(0 <= e["points"] <= e["weight"] * 100 for e in result.breakdown)
    assert [e["factor"] for e in result.breakdown] == [r.code for r in rules if r.weight]


# --- parameters: the checks the service and the admin form share -----------------------------------------


def test_parameters_are_stored_sorted_and_without_trailing_zeros():
    clean, errors = priority.parameters_clean(
        F.VALUE,
        {"bands": [{"min_total": "100000.00", "share": "66.670"}, {"min_total": "10000", "share": "100.00"}]},
    )

    assert errors == {}
    assert clean == {
        "bands": [{"min_total": "10000", "share": "100"}, {"min_total": "100000", "share": "66.67"}]
    }


@pytest.mark.parametrize(
    ("code", "parameters", "field", "message"),
    [
        (F.VALUE, {"bands": []}, "bands", "Give at least one band."),
        (
            F.VALUE,
            {"bands": [{"min_total": "-1", "share": "10"}]},
            "bands",
            "Band 1: the minimum total is an amount of 0 or more.",
        ),
        (
            F.VALUE,
            {"bands": [{"min_total": "5", "share": "10"}, {"min_total": "5.00", "share": "20"}]},
            "bands",
            "Band 2: this minimum total is already given.",
        ),
        (
            F.VALUE,
            {"bands": [{"min_total": "5", "share": "120"}]},
            "bands",
            "Band 1: A share is between 0 and 100 %.",
        ),
        (
            F.URGENCY,
            {"bands": [{"within_days": 3, "share": "50"}], "later": "10.001", "undated": "0"},
            "later",
            "A share has at most 2 decimal places.",
        ),
        (
            F.URGENCY,
            {"bands": [{"within_days": -1, "share": "50"}], "later": "0", "undated": "0"},
            "bands",
            "Band 1: the number of days is a whole number from 0 to 3650.",
        ),
        (
            F.CUSTOMER,
            {"standard": "0", "silver": "x", "gold": "1", "platinum": "1", "key_account": "0"},
            "silver",
            "Enter a share in %, e.g. 50 or 33.33.",
        ),
        (F.AGE, {"full_after_days": 0}, "full_after_days", "Enter a whole number of days from 1 to 365."),
    ],
)
def test_bad_parameters_are_refused_with_a_message_on_their_field(code, parameters, field, message):
    _clean, errors = priority.parameters_clean(code, parameters)

    assert errors[field] == [message]


@pytest.mark.parametrize("weight", [-1, 101, "50", True, None])
def test_a_weight_is_a_whole_number_from_0_to_100(weight):
    assert priority.weight_errors(weight) == ["The weight is a whole number from 0 to 100."]


# --- wording -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "fact", "text"),
    [
        (F.VALUE, {"total": "123456.70", "currency": "CNY"}, "Total 123,456.70 CNY"),
        (F.CUSTOMER, {"tier": "gold", "kind": "key_account"}, "Gold tier, Key account"),
        (F.URGENCY, {"days": None}, "No requested delivery date"),
        (F.URGENCY, {"days": -1}, "Requested delivery date passed 1 day ago"),
        (F.URGENCY, {"days": 0}, "Delivery requested for today"),
        (F.URGENCY, {"days": 5}, "5 days to the requested delivery date"),
        (F.AGE, {"days": None}, "Not submitted yet"),
        (F.AGE, {"days": 3}, "Submitted 3 days ago"),
        (F.PROMOTION, {"is_promotion": True}, "Placed under a promotion"),
    ],
)
def test_the_fact_of_each_entry_reads_as_a_sentence(code, fact, text):
    assert priority.fact_text(code, fact) == text
