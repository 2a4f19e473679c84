"""Reads for webhooks. A dealer reaches endpoints and deliveries only through *_for_user."""

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import NotFound, PermissionDenied, ValidationFailed
from crm.selectors import customer_list_for_user
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint


def webhook_customer_for_user(*, user, code: str | None = None):
    """The customer a dealer user registers an endpoint for: the one named by `code`, or their only one.

    Raises PermissionDenied (the user acts for no customer), ValidationFailed (`customer`: unknown
    code, or a code is needed because the user acts for several customers).
    """
    customers = customer_list_for_user(user=user).order_by("pk")
    if code:
        customer = customers.filter(code=code).first()
        if customer is None:
            raise ValidationFailed(fields={"customer": [_("You do not act for a customer with this code.")]})
        return customer
    found = list(customers[:2])
    if not found:
        raise PermissionDenied(_("Your account does not act for any customer."))
    if len(found) > 1:
        raise ValidationFailed(
            fields={"customer": [_("You act for several customers: give the customer code.")]}
        )
    return found[0]


def webhook_customer_ids_for_user(*, user) -> list[int]:
    return list(customer_list_for_user(user=user).values_list("pk", flat=True))


def webhook_endpoint_list_for_user(*, user) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(
        customer__in=customer_list_for_user(user=user).values("pk")
    ).select_related("customer")


def webhook_endpoint_get_for_user(*, user, endpoint_id: int) -> WebhookEndpoint:
    endpoint = webhook_endpoint_list_for_user(user=user).filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound()
    return endpoint


def webhook_delivery_list_for_user(*, user) -> QuerySet[WebhookDelivery]:
    return (
        WebhookDelivery.objects.filter(endpoint__customer__in=customer_list_for_user(user=user).values("pk"))
        .select_related("endpoint")
        .order_by("-created_at", "-id")
    )


def webhook_endpoint_list_subscribed(*, customer_id: int, event_type: str) -> list[WebhookEndpoint]:
    """Active endpoints of the customer that want `event_type` (an empty subscription wants all).

    An inactive customer has none: a deactivated account receives no webhooks.
    """
    endpoints = WebhookEndpoint.objects.filter(
        customer_id=customer_id, is_active=True, customer__is_active=True
    ).order_by("pk")
    # Filtered in Python: a customer has a handful of endpoints, and JSON containment differs by database.
    return [endpoint for endpoint in endpoints if endpoint.wants(event_type)]


def webhook_delivery_list_due(*, now: dt.datetime | None = None) -> QuerySet[WebhookDelivery]:
    """Pending deliveries of active endpoints of active customers, due now and held by no worker."""
    now = now or timezone.now()
    return (
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, endpoint__is_active=True, endpoint__customer__is_active=True
        )
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lte=now))
        .order_by("next_attempt_at", "pk")
    )


def webhook_delivery_get(*, delivery_id: int) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.select_related("endpoint__customer").filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound()
    return delivery
