from django.utils.translation import gettext_lazy as _

from core.errors import ConcurrentModification, Conflict, DomainError, PermissionDenied


class OrderNotEditable(Conflict):
    code = "order_not_editable"

    def __init__(self, *, order, by_managers: bool = False):
        """`by_managers`: the lifecycle still allows a change, only not from this caller (a dealer
        after submission, a sales rep after approval): order managers can still make it."""
        from orders.states import OrderStatus  # noqa: PLC0415  (states loads core.models: errors stay importable before the app registry is ready)

        params = {"number": order.number, "status": OrderStatus(order.status).label}
        if by_managers:
            message = (
                _("Order %(number)s is “%(status)s”: from now on only order managers can change it.") % params
            )
        else:
            message = _("Order %(number)s can no longer be changed: it is “%(status)s”.") % params
        super().__init__(message, extra={"order": order.number, "status": order.status})


class LineBeingBuilt(Conflict):
    """A change to a line production builds, once the order is in production."""

    code = "line_in_production"

    def __init__(self, *, order_number: str, sku: str, path: str):
        super().__init__(
            _("Order %(number)s is in production: %(sku)s is being built and can no longer be changed.")
            % {"number": order_number, "sku": sku},
            extra={"order": order_number, "sku": sku},
            fields={path: [_("Being built by production: it can no longer be changed.")]},
        )


class DuplicateExternalReference(Conflict):
    code = "duplicate_external_reference"

    def __init__(self, *, existing_number: str, external_reference: str):
        super().__init__(
            _("External reference %(ref)s was already used by order %(number)s.")
            % {"ref": external_reference, "number": existing_number},
            extra={"order": existing_number, "external_reference": external_reference},
        )


class CreditLimitExceeded(DomainError):
    code = "credit_limit_exceeded"
    status = 422


class StatusSetByFulfilment(Conflict):
    code = "status_set_by_fulfilment"

    def __init__(self, *, order_number: str, target):
        from orders.states import OrderStatus  # noqa: PLC0415  (states loads core.models: errors stay importable before the app registry is ready)

        super().__init__(
            _(
                "Order %(number)s becomes “%(target)s” when its shipments are recorded in logistics, "
                "not by hand."
            )
            % {"number": order_number, "target": OrderStatus(target).label},
            extra={"order": order_number, "target": str(target)},
        )


class StatusSetByAllocation(Conflict):
    code = "status_set_by_allocation"

    def __init__(self, *, order_number: str):
        super().__init__(
            _(
                "Order %(number)s becomes “Allocated” when stock allocation has reserved its stock, "
                "not by hand."
            )
            % {"number": order_number},
            extra={"order": order_number, "target": "allocated"},
        )


class StatusSetByProduction(Conflict):
    code = "status_set_by_production"

    def __init__(self, *, order_number: str):
        super().__init__(
            _(
                "Order %(number)s goes into production when production schedules a work order for it, "
                "not by hand."
            )
            % {"number": order_number},
            extra={"order": order_number, "target": "in_production"},
        )


class BuildsNotReady(Conflict):
    code = "builds_not_ready"

    def __init__(self, *, order_number: str, lines: list[str]):
        super().__init__(
            _("Order %(number)s cannot be ready to ship: lines still being built: %(lines)s.")
            % {"number": order_number, "lines": ", ".join(lines)},
            extra={"order": order_number, "lines": lines},
        )


class SelfApprovalRefused(PermissionDenied):
    code = "self_approval"

    def __init__(self, *, order_number: str):
        super().__init__(
            _("Order %(number)s was entered by you: someone else must approve it.")
            % {"number": order_number},
            extra={"order": order_number},
        )


class ApprovalOfChangedOrder(ConcurrentModification):
    code = "order_changed_since_viewed"

    def __init__(self, *, order_number: str, seen: int, current: int):
        super().__init__(
            _(
                "Order %(number)s changed after you opened it (version %(seen)d, now %(current)d): "
                "review it again before approving."
            )
            % {"number": order_number, "seen": seen, "current": current},
            extra={"order": order_number, "seen_version": seen, "current_version": current},
        )


class ApprovalRoleRequired(PermissionDenied):
    """The actor holds none of the roles the order's review waits for now."""

    code = "approval_role_required"

    def __init__(self, *, order_number: str, level: int, roles: list[str], later: bool = False):
        names = ", ".join(roles)
        if later:
            message = _(
                "Order %(number)s first needs the level-%(level)d approval of %(roles)s; yours comes after."
            )
        else:
            message = _(
                "Order %(number)s waits for approval by %(roles)s (level %(level)d): you are not in "
                "that group."
            )
        super().__init__(
            message % {"number": order_number, "level": level, "roles": names},
            extra={"order": order_number, "level": level, "roles": roles},
        )


class ReviewDecisionOfChangedOrder(ConcurrentModification):
    """A rejection or request for changes sent for a version of the order that is no longer current."""

    code = "order_changed_since_viewed"

    def __init__(self, *, order_number: str, seen: int, current: int):
        super().__init__(
            _(
                "Order %(number)s changed after you opened it (version %(seen)d, now %(current)d): "
                "review it again before deciding."
            )
            % {"number": order_number, "seen": seen, "current": current},
            extra={"order": order_number, "seen_version": seen, "current_version": current},
        )


class ChangeNeedsReview(Conflict):
    """A change would need a review approval the order can no longer go back to review for."""

    code = "change_needs_review"

    def __init__(self, *, order_number: str, status: str, rules: list[str]):
        from orders.states import OrderStatus  # noqa: PLC0415  (states loads core.models: errors stay importable before the app registry is ready)

        super().__init__(
            _(
                "Order %(number)s is “%(status)s”: this change would need a new approval (%(rules)s), which "
                "can no longer be asked at this stage. Change less, or cancel and place a new order."
            )
            % {"number": order_number, "status": OrderStatus(status).label, "rules": ", ".join(rules)},
            extra={"order": order_number, "status": status, "rules": rules},
        )
