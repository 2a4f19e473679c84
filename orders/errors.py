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
