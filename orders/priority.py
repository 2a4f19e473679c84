"""The priority rules: how an open order's 0–100 score is made of its factors (issue #9). Pure functions,
no database: orders.services.priority feeds them the weights (orders.models.PriorityFactor, edited in
the admin) and the facts of a batch of orders, and stores what they return.

Each factor turns one fact of the order into a *share* (0–100 %) of its weight:

- order value: the order total against value bands (the highest band the total reaches);
- customer: the customer's tier, or its being a key account (crm.models.CustomerKind), whichever
  gives more;
- urgency: days left until the requested delivery date, against day bands (an overdue date is in
  the first band; no date and beyond the last band have shares of their own);
- age in queue: days since the order was submitted, growing linearly to 100 % after a number of
  days (a draft has not entered the queue);
- promotion: 100 % when the order is flagged as placed under a promotion (Order.is_promotion).

Normalisation: weights are relative. A factor's points are weight × share / (sum of the weights of
the factors that count), so an order with a full share of every factor scores 100 and the score stays
0–100 whatever the weights add up to. The score is the rounded sum (half up); each factor's points are
whole numbers that add up to the score exactly (largest remainders get the rounding), so the
breakdown shown on the order always sums to its score. Factors of weight 0 do not count and are left
out of the breakdown.

The defaults (DEFAULT_FACTORS, written by migration 0005 as PriorityFactor rows) are the hard-coded
rule of before: tier ≤ 30, urgency ≤ 40, value ≤ 30 points; age and promotion weigh 0.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import models
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from crm.models import CustomerKind, CustomerTier

HUNDRED = Decimal("100")
SHARE_PLACES = Decimal("0.01")
MAX_WEIGHT = 100
MAX_BANDS = 10
MAX_BAND_DAYS = 3650
MAX_MIN_TOTAL = Decimal("999999999999.99")
MAX_FULL_AFTER_DAYS = 365


class PriorityFactorCode(models.TextChoices):
    VALUE = "value", gettext_lazy("Order value")
    CUSTOMER = "customer", gettext_lazy("Customer tier / key account")
    URGENCY = "urgency", gettext_lazy("Urgency")
    AGE = "age", gettext_lazy("Age in queue")
    PROMOTION = "promotion", gettext_lazy("Promotion")


F = PriorityFactorCode
# The order factors are listed in (the admin's list, every breakdown).
FACTOR_ORDER: tuple[str, ...] = (F.CUSTOMER, F.URGENCY, F.VALUE, F.AGE, F.PROMOTION)

DEFAULT_FACTORS: dict[str, dict] = {
    F.CUSTOMER: {
        "weight": 30,
        "parameters": {
            CustomerTier.STANDARD: "0",
            CustomerTier.SILVER: "33.33",
            CustomerTier.GOLD: "66.67",
            CustomerTier.PLATINUM: "100",
            "key_account": "0",
        },
    },
    F.URGENCY: {
        "weight": 40,
        "parameters": {
            "bands": [
                {"within_days": 3, "share": "100"},
                {"within_days": 7, "share": "75"},
                {"within_days": 14, "share": "37.5"},
            ],
            "later": "12.5",
            "undated": "0",
        },
    },
    F.VALUE: {
        "weight": 30,
        "parameters": {
            "bands": [
                {"min_total": "10000", "share": "33.33"},
                {"min_total": "100000", "share": "66.67"},
                {"min_total": "1000000", "share": "100"},
            ]
        },
    },
    F.AGE: {"weight": 0, "parameters": {"full_after_days": 10}},
    F.PROMOTION: {"weight": 0, "parameters": {}},
}


@dataclass(frozen=True)
class OrderFacts:
    """What scoring reads of one order (a batch is fetched in one query)."""

    total: Decimal
    currency: str
    tier: str
    customer_kind: str
    requested_delivery_date: dt.date | None
    submitted_on: dt.date | None
    is_promotion: bool


@dataclass(frozen=True)
class FactorRule:
    code: str
    weight: int
    parameters: Mapping = field(default_factory=dict)


@dataclass(frozen=True)
class Score:
    score: int
    breakdown: list[dict]


# --- shares ------------------------------------------------------------------------------------------


def _plain(value: Decimal) -> Decimal:
    """Without trailing zeros and without an exponent: 100.00 → 100, 37.50 → 37.5."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _dec(value, default: str = "0") -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return Decimal(default)


def _share_value(facts: OrderFacts, params: Mapping, today: dt.date) -> tuple[Decimal, dict]:
    share = Decimal("0")
    for band in sorted(params.get("bands", ()), key=lambda b: _dec(b["min_total"])):
        if facts.total >= _dec(band["min_total"]):
            share = _dec(band["share"])
    return share, {"total": str(facts.total), "currency": facts.currency}


def _share_customer(facts: OrderFacts, params: Mapping, today: dt.date) -> tuple[Decimal, dict]:
    share = _dec(params.get(facts.tier, "0"))
    if facts.customer_kind == CustomerKind.KEY_ACCOUNT:
        share = max(share, _dec(params.get("key_account", "0")))
    return share, {"tier": facts.tier, "kind": facts.customer_kind}


def _share_urgency(facts: OrderFacts, params: Mapping, today: dt.date) -> tuple[Decimal, dict]:
    if facts.requested_delivery_date is None:
        return _dec(params.get("undated", "0")), {"days": None}
    days = (facts.requested_delivery_date - today).days
    for band in sorted(params.get("bands", ()), key=lambda b: int(b["within_days"])):
        if days <= int(band["within_days"]):
            return _dec(band["share"]), {"days": days}
    return _dec(params.get("later", "0")), {"days": days}


def _share_age(facts: OrderFacts, params: Mapping, today: dt.date) -> tuple[Decimal, dict]:
    if facts.submitted_on is None:
        return Decimal("0"), {"days": None}
    days = max(0, (today - facts.submitted_on).days)
    full_after = max(1, int(params.get("full_after_days", 1)))
    return min(HUNDRED, HUNDRED * days / full_after).quantize(SHARE_PLACES, ROUND_HALF_UP), {"days": days}


def _share_promotion(facts: OrderFacts, params: Mapping, today: dt.date) -> tuple[Decimal, dict]:
    return (HUNDRED if facts.is_promotion else Decimal("0")), {"is_promotion": facts.is_promotion}


SHARES = {
    F.VALUE: _share_value,
    F.CUSTOMER: _share_customer,
    F.URGENCY: _share_urgency,
    F.AGE: _share_age,
    F.PROMOTION: _share_promotion,
}


def factor_share(rule: FactorRule, facts: OrderFacts, *, today: dt.date) -> tuple[Decimal, dict]:
    """The share (0–100 %) of `rule`'s weight the order earns, and the fact it was computed from."""
    share, fact = SHARES[rule.code](facts, rule.parameters, today)
    return max(Decimal("0"), min(HUNDRED, share)), fact


# --- the score --------------------------------------------------------------------------------------


def score(facts: OrderFacts, rules: Iterable[FactorRule], *, today: dt.date) -> Score:
    """The order's 0–100 score and its breakdown: one entry per factor that counts (weight > 0), in
    the rules' order, `{"factor", "weight", "share", "points", "fact"}`; the points add up to the score."""
    counting = [r for r in rules if r.weight > 0]
    total_weight = sum(r.weight for r in counting)
    if not total_weight:
        return Score(0, [])
    entries, raw = [], []
    for rule in counting:
        share, fact = factor_share(rule, facts, today=today)
        entries.append(
            {
                "factor": str(rule.code),
                "weight": rule.weight,
                "share": str(_plain(share)),
                "points": 0,
                "fact": fact,
            }
        )
        raw.append(Decimal(rule.weight) * share / total_weight)
    total = int(sum(raw).quantize(Decimal("1"), ROUND_HALF_UP))
    floors = [int(r.to_integral_value(ROUND_FLOOR)) for r in raw]
    # Largest remainders take the rounding (the earlier factor on a tie): whole points summing to `total`.
    by_remainder = sorted(range(len(raw)), key=lambda i: (-(raw[i] - floors[i]), i))
    for i in by_remainder[: total - sum(floors)]:
        floors[i] += 1
    for entry, points in zip(entries, floors, strict=True):
        entry["points"] = points
    return Score(max(0, min(100, total)), entries)


def rules_with_defaults(rows: Iterable[FactorRule]) -> list[FactorRule]:
    """The rules in FACTOR_ORDER: each stored row, else its default (a database without the rows,
    e.g. one a test flushed, scores as migration 0005 would have set it up)."""
    stored = {r.code: r for r in rows}
    return [
        stored.get(code)
        or FactorRule(code, DEFAULT_FACTORS[code]["weight"], DEFAULT_FACTORS[code]["parameters"])
        for code in FACTOR_ORDER
    ]


# --- parameters: validation (the service's gate; the admin form shows the same messages per field) ----


def _share_error(value) -> str | None:
    share = _dec(value, default="NaN")
    if share.is_nan() or not share.is_finite():
        return _("Enter a share in %, e.g. 50 or 33.33.")
    if not Decimal("0") <= share <= HUNDRED:
        return _("A share is between 0 and 100 %.")
    if share != share.quantize(SHARE_PLACES):
        return _("A share has at most 2 decimal places.")
    return None


def _share_text(value) -> str:
    return str(_plain(_dec(value).quantize(SHARE_PLACES)))


def parameters_clean(code: str, parameters: Mapping) -> tuple[dict, dict[str, list[str]]]:
    """`parameters` for factor `code` in their stored form, and the errors by parameter name.

    Shares are 0–100 with at most 2 decimals; bands (1 to 10) have distinct thresholds, value bands
    a minimum total ≥ 0, urgency bands a number of days from 0 to 3650; age grows over 1 to 365 days.
    """
    errors: dict[str, list[str]] = {}
    clean: dict = {}

    def share(name: str) -> None:
        value = parameters.get(name, "0")
        message = _share_error(value)
        if message:
            errors.setdefault(name, []).append(message)
        else:
            clean[name] = _share_text(value)

    if code == F.VALUE:
        bands, seen = [], set()
        for row, band in enumerate(parameters.get("bands", ()), start=1):
            minimum = _dec(band.get("min_total"), default="NaN")
            message = _share_error(band.get("share"))
            if minimum.is_nan() or not Decimal("0") <= minimum <= MAX_MIN_TOTAL:
                message = _("the minimum total is an amount of 0 or more.")
            elif minimum in seen:
                message = _("this minimum total is already given.")
            if message:
                errors.setdefault("bands", []).append(
                    _("Band %(row)d: %(message)s") % {"row": row, "message": message}
                )
                continue
            seen.add(minimum)
            bands.append({"min_total": str(_plain(minimum)), "share": _share_text(band["share"])})
        _bands_count(bands, errors)
        clean["bands"] = sorted(bands, key=lambda b: Decimal(b["min_total"]))
    elif code == F.URGENCY:
        bands, seen = [], set()
        for row, band in enumerate(parameters.get("bands", ()), start=1):
            days = band.get("within_days")
            message = _share_error(band.get("share"))
            if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= MAX_BAND_DAYS:
                message = _("the number of days is a whole number from 0 to %(max)d.") % {
                    "max": MAX_BAND_DAYS
                }
            elif days in seen:
                message = _("this number of days is already given.")
            if message:
                errors.setdefault("bands", []).append(
                    _("Band %(row)d: %(message)s") % {"row": row, "message": message}
                )
                continue
            seen.add(days)
            bands.append({"within_days": days, "share": _share_text(band["share"])})
        _bands_count(bands, errors)
        clean["bands"] = sorted(bands, key=lambda b: b["within_days"])
        share("later")
        share("undated")
    elif code == F.CUSTOMER:
        for name in (*CustomerTier.values, "key_account"):
            share(name)
    elif code == F.AGE:
        days = parameters.get("full_after_days")
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_FULL_AFTER_DAYS:
            errors["full_after_days"] = [
                _("Enter a whole number of days from 1 to %(max)d.") % {"max": MAX_FULL_AFTER_DAYS}
            ]
        else:
            clean["full_after_days"] = days
    elif code != F.PROMOTION:
        raise ValueError(f"unknown priority factor {code!r}")
    return clean, errors


def _bands_count(bands: list, errors: dict) -> None:
    if "bands" in errors:
        return
    if not bands:
        errors["bands"] = [_("Give at least one band.")]
    elif len(bands) > MAX_BANDS:
        errors["bands"] = [_("Give at most %(max)d bands.") % {"max": MAX_BANDS}]


def weight_errors(weight) -> list[str]:
    if not isinstance(weight, int) or isinstance(weight, bool) or not 0 <= weight <= MAX_WEIGHT:
        return [_("The weight is a whole number from 0 to %(max)d.") % {"max": MAX_WEIGHT}]
    return []


# --- wording, in the reader's language ---------------------------------------------------------------


def share_text(value) -> str:
    """A share as the reader writes percentages: "37.5 %"."""
    return _("%(share)s %%") % {"share": number_format(_plain(_dec(value)))}


def _money(value) -> str:
    return number_format(_dec(value), 2, force_grouping=True)


def factor_label(code: str) -> str:
    return str(F(code).label) if code in F.values else code


def fact_text(code: str, fact: Mapping) -> str:
    """The fact a breakdown entry was computed from, as a sentence."""
    if code == F.VALUE:
        return _("Total %(total)s %(currency)s") % {
            "total": _money(fact.get("total")),
            "currency": fact.get("currency", ""),
        }
    if code == F.CUSTOMER:
        tier = fact.get("tier", "")
        kind = fact.get("kind", "")
        return _("%(tier)s tier, %(kind)s") % {
            "tier": CustomerTier(tier).label if tier in CustomerTier.values else tier,
            "kind": CustomerKind(kind).label if kind in CustomerKind.values else kind,
        }
    if code == F.URGENCY:
        days = fact.get("days")
        if days is None:
            return _("No requested delivery date")
        if days < 0:
            return ngettext(
                "Requested delivery date passed %(n)d day ago",
                "Requested delivery date passed %(n)d days ago",
                -days,
            ) % {"n": -days}
        if days == 0:
            return _("Delivery requested for today")
        return ngettext(
            "%(n)d day to the requested delivery date", "%(n)d days to the requested delivery date", days
        ) % {"n": days}
    if code == F.AGE:
        days = fact.get("days")
        if days is None:
            return _("Not submitted yet")
        if days == 0:
            return _("Submitted today")
        return ngettext("Submitted %(n)d day ago", "Submitted %(n)d days ago", days) % {"n": days}
    if code == F.PROMOTION:
        return _("Placed under a promotion") if fact.get("is_promotion") else _("No promotion")
    return ""


def rule_text(code: str, parameters: Mapping) -> str:
    """A factor's parameters as one line, for the admin's list of factors."""
    if code == F.VALUE:
        return "; ".join(
            _("from %(total)s: %(share)s")
            % {"total": _money(b["min_total"]), "share": share_text(b["share"])}
            for b in parameters.get("bands", ())
        )
    if code == F.CUSTOMER:
        tiers = ", ".join(
            _("%(tier)s %(share)s") % {"tier": label, "share": share_text(parameters.get(value, "0"))}
            for value, label in CustomerTier.choices
        )
        return _("%(tiers)s; a key account at least %(share)s") % {
            "tiers": tiers,
            "share": share_text(parameters.get("key_account", "0")),
        }
    if code == F.URGENCY:
        bands = [
            ngettext("within %(n)d day: %(share)s", "within %(n)d days: %(share)s", b["within_days"])
            % {"n": b["within_days"], "share": share_text(b["share"])}
            for b in parameters.get("bands", ())
        ]
        bands.append(_("later: %(share)s") % {"share": share_text(parameters.get("later", "0"))})
        bands.append(_("no date: %(share)s") % {"share": share_text(parameters.get("undated", "0"))})
        return "; ".join(bands)
    if code == F.AGE:
        days = parameters.get("full_after_days", 1)
        return ngettext(
            "grows to 100 %% over %(n)d day after submission",
            "grows to 100 %% over %(n)d days after submission",
            days,
        ) % {"n": days}
    if code == F.PROMOTION:
        return _("%(share)s when the order is flagged as placed under a promotion") % {
            "share": share_text(HUNDRED)
        }
    return ""
