"""Review rules as data (issue #9): the closed list of facts a rule may test, its operators, the check
of a condition when a rule is saved, and the evaluation of rules against facts read for many orders at
once.

A condition is a tree of JSON objects:
- a group `{"all": [node, …]}` (every node holds; `{"all": []}` matches every order) or
  `{"any": [node, …]}` (at least one holds; it needs one node at least);
- a leaf `{"field": "order_total", "op": "gt", "value": 1000000}` over one of `FIELDS`, with one of
  the field's operators; `is_true`/`is_false` take no value, `in`/`not_in` a list.

Facts are read in a fixed number of queries per batch of orders (`review_facts`): the orders with their
customers' credit figures, their lines' largest discount and custom builds, and each customer's first
order; never a query per order. The same code serves one order at submission and 10,000 in a bench.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import Group
from django.db.models import F, FloatField, IntegerField, Max, Min
from django.db.models.functions import Cast, Greatest, NullIf
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import ValidationFailed
from crm.models import CustomerTier
from orders.models import Channel, Order, OrderApproval, OrderLine, ReviewRule
from orders.states import OrderStatus

S = OrderStatus

# Finance counts an order in the customer's exposure from its submission until it is closed (open orders
# not yet invoiced, finance.services.credit); it refreshes the figures after each order event and
# stamps them (crm Customer.credit_position_at). An order submitted after the last stamp is not in them
# yet: its own total is added for the credit fact, so a large order is never judged on figures that
# do not hold it, whichever of the review and the refresh runs first.
COUNTED_BY_FINANCE = frozenset(S.values) - {S.DRAFT, S.REJECTED, S.CANCELLED, S.COMPLETED}
# Earlier orders that make a customer a returning one: anything but drafts and orders that never went
# ahead (cancelled, rejected).
NOT_AN_ORDER_YET = (S.DRAFT, S.CANCELLED, S.REJECTED)
# Orders per batch of fact queries (bounded IN lists; SQLite's variable limit is far above).
BATCH = 1000


# --- fields and operators --------------------------------------------------------------------------

DECIMAL, INTEGER, BOOLEAN, CHOICE = "decimal", "integer", "boolean", "choice"
COMPARISONS = ("eq", "ne", "gt", "gte", "lt", "lte")
OPERATORS_BY_TYPE = {
    DECIMAL: COMPARISONS,
    INTEGER: COMPARISONS,
    BOOLEAN: ("is_true", "is_false"),
    CHOICE: ("eq", "ne", "in", "not_in"),
}
OPERATORS = {
    "eq": gettext_lazy("is"),
    "ne": gettext_lazy("is not"),
    "gt": gettext_lazy("is above"),
    "gte": gettext_lazy("is at least"),
    "lt": gettext_lazy("is below"),
    "lte": gettext_lazy("is at most"),
    "in": gettext_lazy("is one of"),
    "not_in": gettext_lazy("is none of"),
    "is_true": gettext_lazy("is true"),
    "is_false": gettext_lazy("is false"),
}


@dataclass(frozen=True)
class Field:
    name: str
    label: Promise
    type: str
    help: Promise
    choices: type | None = None

    @property
    def operators(self) -> tuple[str, ...]:
        return OPERATORS_BY_TYPE[self.type]

    def choice_values(self) -> list[str]:
        return list(self.choices.values) if self.choices else []


FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        Field(
            "order_total",
            gettext_lazy("order total"),
            DECIMAL,
            gettext_lazy("Total with tax and shipping, in the order's currency."),
        ),
        Field(
            "max_discount_percent",
            gettext_lazy("largest discount %"),
            DECIMAL,
            gettext_lazy(
                "The largest discount of a line against the list price, in percent: its tier discount, "
                "or how far a negotiated price is below the list price."
            ),
        ),
        Field(
            "has_custom_build_line",
            gettext_lazy("has a custom-build line"),
            BOOLEAN,
            gettext_lazy("A line with a custom option, built to order."),
        ),
        Field(
            "customer_over_credit_limit",
            gettext_lazy("customer over credit limit"),
            BOOLEAN,
            gettext_lazy(
                "The customer's credit exposure, with this order if it is not counted yet, is above its "
                "credit limit. A credit limit of 0 means no limit is set: never over."
            ),
        ),
        Field(
            "customer_overdue_days",
            gettext_lazy("customer's oldest overdue invoice (days)"),
            INTEGER,
            gettext_lazy("Days since the oldest unpaid invoice fell due; 0 with nothing overdue."),
        ),
        Field(
            "customer_on_credit_hold",
            gettext_lazy("customer on credit hold"),
            BOOLEAN,
            gettext_lazy("Finance has put the customer on credit hold."),
        ),
        Field(
            "first_order",
            gettext_lazy("first order of the customer"),
            BOOLEAN,
            gettext_lazy(
                "No earlier order of the customer went ahead (drafts, cancelled and rejected ones aside)."
            ),
        ),
        Field(
            "requested_before_atp",
            gettext_lazy("requested date before the promised date"),
            BOOLEAN,
            gettext_lazy(
                "The customer asked for delivery earlier than available-to-promise allows (the promised "
                "delivery date worked out when the order was priced)."
            ),
        ),
        Field("channel", gettext_lazy("channel"), CHOICE, gettext_lazy("Where the order came in."), Channel),
        Field(
            "customer_tier",
            gettext_lazy("customer tier"),
            CHOICE,
            gettext_lazy("The customer's tier."),
            CustomerTier,
        ),
    )
}


# --- checking a condition --------------------------------------------------------------------------

MAX_DEPTH = 6
MAX_LEAVES = 50


def _decimal(value) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _check_value(field: Field, op: str, value, path: str, errors: dict) -> None:
    where = f"{path}.value"
    if field.type == BOOLEAN:
        if value not in (None, True):
            errors[where] = [_("“%(op)s” takes no value.") % {"op": op}]
        return
    if field.type in (DECIMAL, INTEGER):
        number = _decimal(value)
        if number is None:
            errors[where] = [_("Give a number.")]
        elif field.type == INTEGER and number != number.to_integral_value():
            errors[where] = [_("Give a whole number.")]
        return
    allowed = field.choice_values()
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            errors[where] = [_("Give a list of one value or more.")]
            return
        wrong = [v for v in value if v not in allowed]
    else:
        wrong = [value] if value not in allowed else []
    if wrong:
        errors[where] = [
            _("Unknown value %(values)s; one of: %(allowed)s.")
            % {"values": ", ".join(map(str, wrong)), "allowed": ", ".join(allowed)}
        ]


def _check(node, path: str, depth: int, errors: dict, leaves: list) -> None:
    if depth > MAX_DEPTH:
        errors[path] = [_("Nested too deep (at most %(n)d levels).") % {"n": MAX_DEPTH}]
        return
    if not isinstance(node, dict):
        errors[path] = [
            _(
                'Each condition is an object: a group {"all": […]} / {"any": […]} or a test '
                '{"field", "op", "value"}.'
            )
        ]
        return
    groups = [key for key in ("all", "any") if key in node]
    if groups:
        key = groups[0]
        if len(node) != 1:
            errors[path] = [_("A group has exactly one key, “all” or “any”.")]
            return
        children = node[key]
        if not isinstance(children, list):
            errors[f"{path}.{key}"] = [_("A group holds a list of conditions.")]
            return
        if key == "any" and not children:
            errors[f"{path}.{key}"] = [_("“any” needs at least one condition (an empty one never matches).")]
        for index, child in enumerate(children):
            _check(child, f"{path}.{key}[{index}]", depth + 1, errors, leaves)
        return
    unknown = set(node) - {"field", "op", "value"}
    if unknown:
        errors[path] = [_("Unknown keys: %(keys)s.") % {"keys": ", ".join(sorted(map(str, unknown)))}]
        return
    leaves.append(path)
    name, op = node.get("field"), node.get("op")
    field = FIELDS.get(name) if isinstance(name, str) else None
    if field is None:
        errors[f"{path}.field"] = [
            _("Unknown field %(field)s; one of: %(fields)s.")
            % {"field": repr(name), "fields": ", ".join(FIELDS)}
        ]
        return
    if op not in field.operators:
        errors[f"{path}.op"] = [
            _("Unknown operator %(op)s for %(field)s; one of: %(ops)s.")
            % {"op": repr(op), "field": name, "ops": ", ".join(field.operators)}
        ]
        return
    _check_value(field, op, node.get("value"), path, errors)


def condition_validate(condition) -> None:
    """Check a rule's condition; raises ValidationFailed with one entry per faulty node, keyed by its
    path (`condition.all[1].value`), or returns quietly."""
    errors: dict[str, list[str]] = {}
    leaves: list[str] = []
    if not isinstance(condition, dict) or not any(key in condition for key in ("all", "any")):
        errors["condition"] = [_('The condition is a group: {"all": […]} or {"any": […]}.')]
    else:
        _check(condition, "condition", 1, errors, leaves)
    if len(leaves) > MAX_LEAVES:
        errors["condition"] = [_("At most %(n)d tests in one rule.") % {"n": MAX_LEAVES}]
    if errors:
        raise ValidationFailed(fields=errors)


def condition_fields(condition) -> list[str]:
    """The fields a (valid) condition tests, in order, each once."""
    seen: list[str] = []

    def walk(node):
        if "field" in node:
            if node["field"] not in seen:
                seen.append(node["field"])
            return
        for child in node.get("all", node.get("any", [])):
            walk(child)

    walk(condition)
    return seen


# --- evaluating ------------------------------------------------------------------------------------


def _compare(op: str, fact, value) -> bool:
    if op == "is_true":
        return fact is True
    if op == "is_false":
        return fact is False
    if op == "in":
        return fact in value
    if op == "not_in":
        return fact not in value
    if isinstance(fact, Decimal | int) and not isinstance(fact, bool):
        value = _decimal(value)
        if value is None:
            return False
    if op == "eq":
        return fact == value
    if op == "ne":
        return fact != value
    if fact is None:
        return False
    return {
        "gt": fact > value,
        "gte": fact >= value,
        "lt": fact < value,
        "lte": fact <= value,
    }[op]


def condition_matches(condition: dict, facts: dict) -> bool:
    """Whether `facts` (one order's, from review_facts) satisfy a valid condition."""
    if "all" in condition:
        return all(condition_matches(child, facts) for child in condition["all"])
    if "any" in condition:
        return any(condition_matches(child, facts) for child in condition["any"])
    return _compare(condition["op"], facts.get(condition["field"]), condition.get("value"))


def condition_text(condition) -> str:
    """The condition in words, in the active language (rule lists, timeline notes)."""

    def words(node, top: bool) -> str:
        if "field" in node:
            field = FIELDS.get(node["field"])
            label = str(field.label) if field else str(node["field"])
            op = str(OPERATORS.get(node.get("op"), node.get("op")))
            value = node.get("value")
            if node.get("op") in ("is_true", "is_false"):
                return f"{label} {op}"
            if isinstance(value, list):
                value = ", ".join(map(str, value))
            elif field is not None and field.type in (DECIMAL, INTEGER) and _decimal(value) is not None:
                value = number_format(_decimal(value), force_grouping=True)
            return f"{label} {op} {value}"
        key = "all" if "all" in node else "any"
        children = node.get(key) or []
        if not children:
            return _("every order") if key == "all" else _("never")
        joiner = _(" and ") if key == "all" else _(" or ")
        text = joiner.join(words(child, False) for child in children)
        return text if top or len(children) == 1 else f"({text})"

    if not isinstance(condition, dict):
        return ""
    return words(condition, True)


# --- facts -----------------------------------------------------------------------------------------


def _batches(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), BATCH):
        yield list(ids[start : start + BATCH])


def _percent(ratio: float | None) -> Decimal:
    if ratio is None:
        return Decimal("0.00")
    return max(Decimal("0.00"), (Decimal(str(100 * (1 - ratio)))).quantize(Decimal("0.01")))


def _facts_batch(ids: list[int], today: dt.date) -> dict[int, dict]:
    orders = list(
        Order.objects.filter(pk__in=ids).values(
            "pk",
            "status",
            "status_before_hold",
            "total",
            "channel",
            "requested_delivery_date",
            "promised_delivery_date",
            "customer_id",
            "customer__tier",
            "customer__credit_limit",
            "customer__credit_exposure",
            "customer__credit_position_at",
            "submitted_at",
            "customer__overdue_since",
            "customer__credit_hold",
        )
    )
    # Per order: the lowest ratio of a line's net amount to its list value (its largest discount) and
    # whether a line is built to order. The list value is the higher of the line's unit price (list price
    # with options, for tier-discounted lines) and the product's list price (for negotiated prices).
    # Floats: SQLite divides integers as integers; the percent is rounded to cents afterwards.
    list_value = F("quantity") * Cast(Greatest("unit_price", "product__list_price"), FloatField())
    lines = {
        row["order_id"]: row
        for row in OrderLine.objects.filter(order_id__in=ids)
        .values("order_id")
        .annotate(
            ratio=Min(Cast("net_amount", FloatField()) / NullIf(list_value, 0.0)),
            custom=Max(Cast("is_custom_build", IntegerField())),
        )
        .order_by()
    }
    customers = {row["customer_id"] for row in orders}
    first = dict(
        Order.objects.filter(customer_id__in=customers)
        .exclude(status__in=NOT_AN_ORDER_YET)
        .values("customer_id")
        .annotate(first=Min("pk"))
        .order_by()
        .values_list("customer_id", "first")
    )
    facts = {}
    for row in orders:
        line = lines.get(row["pk"], {})
        status = row["status_before_hold"] if row["status"] == S.ON_HOLD else row["status"]
        stamped = row["customer__credit_position_at"]
        counted = (
            status in COUNTED_BY_FINANCE
            and stamped is not None
            and row["submitted_at"] is not None
            and stamped >= row["submitted_at"]
        )
        exposure = row["customer__credit_exposure"] + (Decimal("0") if counted else row["total"])
        limit = row["customer__credit_limit"]
        overdue_since = row["customer__overdue_since"]
        requested, promised = row["requested_delivery_date"], row["promised_delivery_date"]
        earliest = first.get(row["customer_id"])
        facts[row["pk"]] = {
            "order_total": row["total"],
            "max_discount_percent": _percent(line.get("ratio")),
            "has_custom_build_line": bool(line.get("custom")),
            "customer_over_credit_limit": bool(limit and limit > 0 and exposure > limit),
            "customer_overdue_days": max(0, (today - overdue_since).days) if overdue_since else 0,
            "customer_on_credit_hold": bool(row["customer__credit_hold"]),
            "first_order": earliest is None or earliest >= row["pk"],
            "requested_before_atp": bool(requested and promised and requested < promised),
            "channel": row["channel"],
            "customer_tier": row["customer__tier"],
        }
    return facts


def review_facts(*, order_ids: Sequence[int], today: dt.date | None = None) -> dict[int, dict]:
    """Every field of FIELDS for each order, read in three queries per batch of BATCH orders."""
    today = today or timezone.localdate()
    facts: dict[int, dict] = {}
    for batch in _batches(list(order_ids)):
        facts.update(_facts_batch(batch, today))
    return facts


def review_rules_active() -> list[ReviewRule]:
    """The active rules, level by level, with their groups (one query)."""
    return list(
        ReviewRule.objects.filter(is_active=True)
        .select_related("role")
        .order_by("level", "sort_order", "name")
    )


def review_rules_matching(*, rules: Sequence[ReviewRule], facts: dict) -> list[ReviewRule]:
    """The rules whose condition `facts` satisfy, in the order given."""
    return [rule for rule in rules if condition_matches(rule.condition, facts)]


def review_evaluate(
    *, order_ids: Sequence[int], rules: Sequence[ReviewRule] | None = None, today: dt.date | None = None
) -> dict[int, list[ReviewRule]]:
    """The matching rules of each order: one query for the rules (unless given), three per batch of
    BATCH orders for the facts, and no query per order."""
    rules = review_rules_active() if rules is None else rules
    facts = review_facts(order_ids=order_ids, today=today)
    return {order_id: review_rules_matching(rules=rules, facts=f) for order_id, f in facts.items()}


def facts_json(facts: dict, fields: Iterable[str]) -> dict:
    """The named facts as JSON values (decimals as strings) for the record of a step."""
    out = {}
    for name in fields:
        value = facts.get(name)
        out[name] = str(value) if isinstance(value, Decimal) else value
    return out


def role_can_review(group: Group) -> bool:
    """Whether members of `group` get the review screens (the `orders.review_order` permission)."""
    return group.permissions.filter(content_type__app_label="orders", codename="review_order").exists()


# --- where a review stands ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewState:
    """An order's current review round as screens show it: the steps, what waits, and who decided."""

    round: int
    steps: list  # OrderApproval rows of the round, level by level
    earlier: list  # the rows of earlier rounds, newest round first

    @property
    def waiting(self) -> list:
        return [step for step in self.steps if step.status == "pending"]

    @property
    def waiting_level(self) -> int | None:
        return min((step.level for step in self.waiting), default=None)

    @property
    def outcome(self) -> str:
        """waiting, approved, rejected or changes_requested; "" for a round whose steps lapsed."""
        if self.waiting:
            return "waiting"
        for status in ("rejected", "changes_requested"):
            if any(step.status == status for step in self.steps):
                return status
        if self.steps and all(step.status in ("approved", "superseded") for step in self.steps):
            return "approved" if any(step.status == "approved" for step in self.steps) else ""
        return ""


def review_state(approvals: Iterable) -> ReviewState | None:
    """The review state from an order's approval rows (all rounds, e.g. prefetched); None before any."""
    rows = sorted(approvals, key=lambda step: (-step.round, step.level, step.pk or 0))
    if not rows:
        return None
    current = rows[0].round
    return ReviewState(
        round=current,
        steps=[step for step in rows if step.round == current],
        earlier=[step for step in rows if step.round != current],
    )


def order_review_waiting_roles(*, order_id: int) -> list[str]:
    """The group names of the steps waiting at the lowest open level of the order's current round."""
    state = review_state(OrderApproval.objects.filter(order_id=order_id))
    if state is None or not state.waiting:
        return []
    return sorted({step.role_name for step in state.waiting if step.level == state.waiting_level})
