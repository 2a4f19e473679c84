"""Review of orders (issue #9): the rules decide which approvals an order needs; approvers decide.

A review round opens when an order is submitted: the active rules (orders.models.ReviewRule) are
evaluated on the order as saved, and each rule matched becomes a step (orders.models.OrderApproval)
naming a role and a level. An order no rule matched is approved at once, by the system, with one
level-0 step recording that decision. Levels are sequential and the steps of one level parallel: an
approver decides the waiting steps of the lowest open level whose role they hold; when the last step
is approved, the order is approved (and `order.approved` starts allocation). A rejection or a request
for changes ends the round; submitting again starts a new one. A change after approval re-evaluates the
rules (`order_review_rerun`) and opens the review again when a rule matches that this round has not
approved.

Who counts as holding a role: members of the step's group. A superuser acts for any role, and so does
the system (`actor=None`: tests, imports, the demo) — every screen passes its user. Nobody approves an
order they entered. Refusals write nothing.
"""

from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ValidationFailed
from core.notifications import notify
from orders import locks
from orders.errors import (
    ApprovalOfChangedOrder,
    ApprovalRoleRequired,
    ChangeNeedsReview,
    ReviewDecisionOfChangedOrder,
    SelfApprovalRefused,
)
from orders.models import MAX_REVIEW_LEVEL, ApprovalStatus, Order, OrderApproval, OrderEvent, ReviewRule
from orders.review import (
    FIELDS,
    condition_fields,
    condition_validate,
    facts_json,
    review_facts,
    review_rules_active,
    review_rules_matching,
    role_can_review,
)
from orders.services.moves import _move
from orders.states import LIFECYCLE, OrderEventKind, OrderStatus

S = OrderStatus
K = OrderEventKind
A = ApprovalStatus
# Statuses whose approval a change can put in question again (the table's way back to review).
REOPENABLE = frozenset({S.APPROVED, S.ALLOCATED})


# --- rules -------------------------------------------------------------------------------------------


def review_rule_validate(*, rule: ReviewRule) -> None:
    """Check a review rule before it is saved; raises ValidationFailed (fields `name`, `condition…`,
    `role`, `level`). The condition must be valid (orders.review.condition_validate) and the group
    able to review (hold `orders.review_order`, which shows the review buttons)."""
    errors: dict[str, list[str]] = {}
    if not (rule.name or "").strip():
        errors["name"] = [_("Give the rule a name.")]
    elif ReviewRule.objects.filter(name=rule.name).exclude(pk=rule.pk).exists():
        errors["name"] = [_("Another rule has this name.")]
    try:
        condition_validate(rule.condition)
    except ValidationFailed as invalid:
        errors.update(invalid.fields)
    if rule.role_id is None:
        errors["role"] = [_("Name the group that approves.")]
    elif not role_can_review(rule.role):
        errors["role"] = [
            _("Members of %(group)s cannot review orders: give the group the permission “%(perm)s” first.")
            % {"group": rule.role.name, "perm": _("Can review, approve and reject orders")}
        ]
    if not 1 <= (rule.level or 0) <= MAX_REVIEW_LEVEL:
        errors["level"] = [_("A level from 1 to %(max)d.") % {"max": MAX_REVIEW_LEVEL}]
    if errors:
        raise ValidationFailed(fields=errors)


def review_rule_save(*, rule: ReviewRule) -> ReviewRule:
    """Check (review_rule_validate) and save a review rule, new or changed.

    A rule affects the reviews opened after it is saved, never the steps of rounds already open.
    Raises ValidationFailed; nothing is written then.
    """
    review_rule_validate(rule=rule)
    with transaction.atomic():
        rule.save()
    return rule


# --- reading the round -------------------------------------------------------------------------------


def _round_steps(order: Order) -> tuple[int, list[OrderApproval]]:
    """The current round's number (0: none yet) and its steps, level by level."""
    number = OrderApproval.objects.filter(order=order).aggregate(n=Max("round"))["n"] or 0
    steps = (
        list(OrderApproval.objects.filter(order=order, round=number).order_by("level", "id"))
        if number
        else []
    )
    return number, steps


def _roles_of(actor) -> set[int] | None:
    """The group ids `actor` acts for; None for every role (the system, a superuser)."""
    if actor is None:
        return None
    if getattr(actor, "pk", None) is None:
        return set()
    if actor.is_superuser:
        return None
    return set(actor.groups.values_list("pk", flat=True))


def _holds(roles: set[int] | None, step: OrderApproval) -> bool:
    return roles is None or step.role_id in roles


def _names(steps: Sequence[OrderApproval]) -> list[str]:
    seen: list[str] = []
    for step in steps:
        name = step.role_label or _("(deleted group)")
        if name not in seen:
            seen.append(name)
    return seen


def _waiting(steps: Sequence[OrderApproval]) -> list[dict]:
    """The steps still waiting, as timeline data (orders.timeline tells them in the reader's language)."""
    return [{"role": step.role_name, "level": step.level} for step in steps if step.status == A.PENDING]


def _check_version(order: Order, expected_version: int | None, *, approving: bool) -> None:
    if expected_version is not None and order.version != expected_version:
        error = ApprovalOfChangedOrder if approving else ReviewDecisionOfChangedOrder
        raise error(order_number=order.number, seen=expected_version, current=order.version)


def _decide(steps: Sequence[OrderApproval], status: str, *, actor, comment: str, version: int) -> None:
    now = timezone.now()
    decided_by = actor if getattr(actor, "pk", None) else None
    for step in steps:
        step.status, step.decided_by, step.decided_at = status, decided_by, now
        step.comment, step.order_version = comment, version
    OrderApproval.objects.bulk_update(
        steps, ["status", "decided_by", "decided_at", "comment", "order_version"]
    )


def _supersede_pending(order: Order) -> int:
    return OrderApproval.objects.filter(order=order, status=A.PENDING).update(status=A.SUPERSEDED)


# --- opening a round ---------------------------------------------------------------------------------


def _record_rules_checked(order: Order, *, actor, rules, matched, round_number: int, data=None):
    # Told from its data in the reader's language (orders.timeline), not as a note written now.
    OrderEvent.record(
        order=order,
        kind=K.REVIEW_RULES_CHECKED,
        actor=actor,
        data={
            "round": round_number,
            "checked": [rule.name for rule in rules],
            "matched": [{"rule": rule.name, "role": rule.role.name, "level": rule.level} for rule in matched],
            **(data or {}),
        },
    )


def _steps_for(order: Order, rules, facts: dict, round_number: int) -> list[OrderApproval]:
    return OrderApproval.objects.bulk_create(
        [
            OrderApproval(
                order=order,
                round=round_number,
                rule=rule,
                rule_name=rule.name,
                level=rule.level,
                role=rule.role,
                role_name=rule.role.name,
                facts=facts_json(facts, condition_fields(rule.condition)),
            )
            for rule in rules
        ]
    )


def _approve_automatically(order: Order, *, round_number: int, why: str) -> Order:
    """Nothing (more) to wait for in this round (`why`: "no_rule" matched, or "nothing_left" after a
    change): the system approves, and the people concerned hear. Told by orders.timeline."""
    order, _changed = _move(
        order.pk,
        S.APPROVED,
        actor=None,
        data={"round": round_number, "automatic": why},
        locked=order,
    )
    announce_decision(order, kind=str(K.APPROVED), round_number=round_number)
    return order


def _open(order: Order, *, actor) -> Order:
    """Start a new round on the locked `order` (submitted, or in review without a round): evaluate the
    rules on the saved order; approve it if none matched, else add the steps and put it in review."""
    rules = review_rules_active()
    facts = review_facts(order_ids=[order.pk])[order.pk]
    matched = review_rules_matching(rules=rules, facts=facts)
    number, _steps = _round_steps(order)
    number += 1
    _supersede_pending(order)
    _record_rules_checked(
        order,
        actor=actor,
        rules=rules,
        matched=matched,
        round_number=number,
    )
    if not matched:
        OrderApproval.objects.create(
            order=order,
            round=number,
            level=0,
            status=A.APPROVED,
            decided_at=timezone.now(),
            comment=_("No review rule matched."),
            order_version=order.version,
            facts=facts_json(facts, FIELDS),
        )
        return _approve_automatically(order, round_number=number, why="no_rule")
    steps = _steps_for(order, matched, facts, number)
    if order.status != S.IN_REVIEW:
        order, _changed = _move(
            order.pk,
            S.IN_REVIEW,
            actor=actor,
            data={"round": number, "waiting": _waiting(steps)},
            locked=order,
        )
    announce_pending(order, steps=steps, round_number=number)
    return order


def order_review_open(*, order_id: int, actor=None) -> Order:
    """Open the review of a submitted order (also an order in review that has no round, from before
    review rules): the rules are evaluated on the order as saved, in this transaction.

    No rule matched: the order is approved by the system (`order.approved`; the timeline names the rules
    checked). Otherwise its steps are written and it is in review; the first level's approvers are told.
    Any other status: returned unchanged (the listener of `order.submitted` may come after a person).
    Raises NotFound.
    """
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        if order.status == S.SUBMITTED or (order.status == S.IN_REVIEW and not _pending(order)):
            return _open(order, actor=actor)
        return order


def _pending(order: Order) -> list[OrderApproval]:
    _number, steps = _round_steps(order)
    return [step for step in steps if step.status == A.PENDING]


def order_submit(*, order_id: int, actor=None, expected_version: int | None = None) -> Order:
    """Submit a draft and open its review in the same transaction, from the order as saved: approved at
    once if no review rule matches, else in review (see order_review_open).

    Raises InvalidTransition (from any status but draft, or on hold from submitted: resumed and reviewed),
    ConcurrentModification (409) when `expected_version` is not the order's.
    """
    with transaction.atomic():
        order, _changed = _move(order_id, S.SUBMITTED, actor=actor, expected_version=expected_version)
        if order.status == S.SUBMITTED:
            order = _open(order, actor=actor)
        return order


# --- decisions -----------------------------------------------------------------------------------


def _lowest_open(pending: Sequence[OrderApproval]) -> list[OrderApproval]:
    level = min(step.level for step in pending)
    return [step for step in pending if step.level == level]


def order_approve(
    *, order_id: int, actor=None, reason: str = "", expected_version: int | None = None
) -> Order:
    """Record `actor`'s approval on the waiting steps of the lowest open level whose role they hold.

    When every step of the round is approved, the order is approved (`order.approved` queues its stock
    allocation); otherwise the next level's approvers are told once a level is complete. A submitted
    order's review is opened first (it may then be approved by the rules alone).
    An approval is of the version the reviewer saw: with `expected_version` (every screen sends the version
    it showed), an order changed meanwhile is refused with ApprovalOfChangedOrder (409).
    Refused, writing nothing: SelfApprovalRefused (403) for the order's author, ApprovalRoleRequired
    (403, `approval_role_required`) without the role of a waiting step of the lowest open level,
    InvalidTransition (409) from a status that is not under review. Approving an approved order again
    is a harmless no-op.
    """
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        if order.status == S.APPROVED:
            return order
        _check_version(order, expected_version, approving=True)
        if getattr(actor, "pk", None) is not None and order.created_by_id == actor.pk:
            raise SelfApprovalRefused(order_number=order.number)
        if order.status not in (S.SUBMITTED, S.IN_REVIEW):
            raise LIFECYCLE.refusal(order, S.APPROVED)
        pending = _pending(order) if order.status == S.IN_REVIEW else []
        if not pending:
            order = _open(order, actor=actor)
            if order.status == S.APPROVED:
                return order
            pending = _pending(order)
        current = _lowest_open(pending)
        roles = _roles_of(actor)
        mine = [step for step in current if _holds(roles, step)]
        if not mine:
            later = any(_holds(roles, step) for step in pending)
            raise ApprovalRoleRequired(
                order_number=order.number, level=current[0].level, roles=_names(current), later=later
            )
        _decide(mine, A.APPROVED, actor=actor, comment=reason, version=order.version)
        number = mine[0].round
        remaining = [step for step in pending if step.status == A.PENDING]
        data = {"round": number, "level": mine[0].level, "rules": [step.rule_name for step in mine]}
        if not remaining:
            order, _changed = _move(order.pk, S.APPROVED, actor=actor, reason=reason, data=data, locked=order)
            announce_decision(order, kind=str(K.APPROVED), round_number=number)
            return order
        OrderEvent.record(
            order=order,
            kind=K.REVIEW_STEP_APPROVED,
            actor=actor,
            note=reason,
            data={**data, "waiting": _waiting(remaining)},
        )
        if min(step.level for step in remaining) > mine[0].level:
            announce_pending(order, steps=remaining, round_number=number)
        return order


def _turn_back(
    *, order_id: int, actor, reason: str, expected_version: int | None, to: str, step_status: str
) -> Order:
    if not (reason or "").strip():
        raise ValidationFailed(fields={"reason": [_("Give a reason.")]})
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        if order.status == to:
            return order
        _check_version(order, expected_version, approving=False)
        data: dict = {}
        if order.status == S.IN_REVIEW:
            pending = _pending(order)
            if pending:
                roles = _roles_of(actor)
                theirs = [step for step in pending if _holds(roles, step)]
                if not theirs:
                    current = _lowest_open(pending)
                    raise ApprovalRoleRequired(
                        order_number=order.number, level=current[0].level, roles=_names(current)
                    )
                decided = _lowest_open(theirs)
                _decide(decided, step_status, actor=actor, comment=reason, version=order.version)
                data = {"round": decided[0].round, "level": decided[0].level}
        order, _changed = _move(order.pk, to, actor=actor, reason=reason, data=data, locked=order)
        _supersede_pending(order)
        kind = str(K.REJECTED if to == S.REJECTED else K.CHANGES_REQUESTED)
        announce_decision(order, kind=kind, round_number=data.get("round", 0), reason=reason)
        return order


def order_reject(*, order_id: int, actor=None, reason: str, expected_version: int | None = None) -> Order:
    """Reject an order at whatever level its review stands, with the reasons (required).

    Under review, the actor must hold the role of a waiting step (any level): their step records the
    rejection, the round's other waiting steps lapse. A submitted order whose review is not open yet
    may be rejected by any reviewer (the screens require `orders.review_order`). The author, sales rep
    and dealer users are told.
    Raises ValidationFailed (no reason), ApprovalRoleRequired (403), ReviewDecisionOfChangedOrder (409)
    for a stale `expected_version`, InvalidTransition (409); nothing is written then.
    """
    return _turn_back(
        order_id=order_id,
        actor=actor,
        reason=reason,
        expected_version=expected_version,
        to=S.REJECTED,
        step_status=A.REJECTED,
    )


def order_request_changes(
    *, order_id: int, actor=None, reason: str, expected_version: int | None = None
) -> Order:
    """Send a submitted or in-review order back to draft for the dealer to change (`order.changes_requested`).

    Same checks as order_reject; submitting the draft again starts a new review round.
    """
    return _turn_back(
        order_id=order_id,
        actor=actor,
        reason=reason,
        expected_version=expected_version,
        to=S.DRAFT,
        step_status=A.CHANGES_REQUESTED,
    )


def review_close(*, order: Order) -> None:
    """The locked `order` left review for good (cancelled): its waiting steps lapse."""
    _supersede_pending(order)


# --- after a change --------------------------------------------------------------------------------


def order_review_rerun(*, order_id: int, actor=None, diff: dict | None = None) -> Order:
    """Evaluate the review rules again after `order_id` was changed (`diff`: what changed, for the record).

    Called by the change service (orders.services.changes.order_change) in its transaction:
    - approved or allocated: a rule that matches now and was not approved in this round adds its step
      and puts the order back in review (`order.review_reopened`; the stock it holds stays reserved);
      nothing new: the order stays as it is, the check is on the timeline;
    - in review: new rules add steps, waiting steps whose rule no longer matches lapse; with nothing left
      to wait for, the order is approved;
    - on hold from one of those: the same steps, and the order resumes into review when released;
    - in production (or on hold from it) and later: a change that a new rule matches is refused with
      ChangeNeedsReview (409) — the order can no longer go back to review — so the caller's whole
      change rolls back; nothing new: only the check is recorded;
    - submitted: its review is opened now; draft, rejected, cancelled (or on hold from submitted):
      nothing to review yet.
    """
    with transaction.atomic():
        order = locks.order_for_update(order_id)
        held_from = order.status_before_hold if order.status == S.ON_HOLD else ""
        status = held_from or order.status
        if status in (S.DRAFT, S.REJECTED, S.CANCELLED) or held_from == S.SUBMITTED:
            return order
        if status == S.SUBMITTED:
            return _open(order, actor=actor)
        rules = review_rules_active()
        facts = review_facts(order_ids=[order.pk])[order.pk]
        matched = review_rules_matching(rules=rules, facts=facts)
        number, steps = _round_steps(order)
        covered = {step.rule_id for step in steps if step.status in (A.APPROVED, A.PENDING)}
        if not number and status != S.IN_REVIEW:
            # Approved before review rules existed: that approval was the one review there was, what a
            # rule for every order (the default, `{"all": []}`) still asks; any other rule is new.
            covered = {rule.pk for rule in matched if rule.condition == {"all": []}}
        number = number or 1
        new = [rule for rule in matched if rule.pk not in covered]
        if new and status != S.IN_REVIEW and status not in REOPENABLE:
            raise ChangeNeedsReview(
                order_number=order.number, status=status, rules=[rule.name for rule in new]
            )
        lapsed = []
        if status == S.IN_REVIEW:
            matched_ids = {rule.pk for rule in matched}
            lapsed = [step for step in steps if step.status == A.PENDING and step.rule_id not in matched_ids]
            if lapsed:
                OrderApproval.objects.filter(pk__in=[step.pk for step in lapsed]).update(status=A.SUPERSEDED)
        _record_rules_checked(
            order,
            actor=actor,
            rules=rules,
            matched=matched,
            round_number=number,
            data={"changed": diff or {}, "new": [rule.name for rule in new], "rerun": True},
        )
        added = _steps_for(order, new, facts, number) if new else []
        waiting = [step for step in steps if step.status == A.PENDING and step not in lapsed] + added
        if added and held_from in REOPENABLE:
            # On hold: the order resumes into review, where the new steps wait (orders.states.HOLDABLE).
            order.status_before_hold = S.IN_REVIEW
            order.save(update_fields=["status_before_hold", "updated_at"])
        elif added and order.status in REOPENABLE:
            order, _changed = _move(
                order.pk,
                S.IN_REVIEW,
                actor=actor,
                data={"round": number, "changed": diff or {}, "waiting": _waiting(added)},
                locked=order,
            )
        elif order.status == S.IN_REVIEW and not waiting:
            return _approve_automatically(order, round_number=number, why="nothing_left")
        if added:
            announce_pending(order, steps=waiting, round_number=number)
        return order


# --- telling people ----------------------------------------------------------------------------------


def _order_context(order: Order) -> dict:
    customer = order.customer
    return {
        "order_number": order.number,
        "customer_name": customer.name,
        "customer_code": customer.code,
        "total": f"{order.currency} {order.total}",
    }


def announce_decision(order: Order, *, kind: str, round_number: int, reason: str = "") -> None:
    """Tell the order's author, the customer's sales rep and its dealer users of a review outcome
    (`order.approved`, `order.rejected`, `order.changes_requested`), once per decision.

    Reps and dealers get the portal page, staff who entered the order the admin review screen.
    """
    customer = order.customer
    people = {user.pk: user for user in customer.users.filter(is_active=True)}
    if customer.sales_rep_id:
        people.setdefault(customer.sales_rep_id, customer.sales_rep)
    author = order.created_by if order.created_by_id else None
    staff_author = author is not None and author.is_staff and author.pk not in people
    if author is not None and not staff_author:
        people.setdefault(author.pk, author)
    key = f"{kind}:{order.pk}:r{round_number}:v{order.version}"
    context = {**_order_context(order), "reason": reason}
    notify(
        kind=kind,
        key=key,
        users=people.values(),
        context=context,
        link=reverse("portal:order-detail", kwargs={"number": order.number}),
    )
    if staff_author:
        notify(
            kind=kind,
            key=key,
            users=[author],
            context=context,
            link=reverse("admin:orders_order_change", args=[order.pk]),
        )


def announce_pending(order: Order, *, steps: Sequence[OrderApproval], round_number: int) -> None:
    """Tell the members of the lowest waiting level's groups that an approval waits for them
    (`review.pending`), once per round, level and version; the order's author is not asked."""
    waiting = [step for step in steps if step.status == A.PENDING]
    if not waiting:
        return
    current = _lowest_open(waiting)
    level = current[0].level
    role_ids = {step.role_id for step in current if step.role_id}
    approvers = (
        get_user_model()
        ._default_manager.filter(groups__in=role_ids, is_active=True)
        .exclude(pk=order.created_by_id or 0)
        .distinct()
    )
    notify(
        kind="review.pending",
        key=f"review.pending:{order.pk}:r{round_number}:l{level}:v{order.version}",
        users=approvers,
        context={
            **_order_context(order),
            "level": level,
            "roles": ", ".join(_names(current)),
            "rules": ", ".join(step.rule_name for step in current),
        },
        link=reverse("admin:orders_order_review", args=[order.pk]),
    )
