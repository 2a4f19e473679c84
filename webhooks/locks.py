"""Row locks for webhooks.

Lock order, everywhere: the endpoint before its deliveries (deleting an endpoint cascades to its
deliveries in that order too), so two transactions never wait on each other in a cycle.
"""

from webhooks.models import WebhookDelivery, WebhookEndpoint


def endpoint_for_update(endpoint_id: int, *, customer_ids=None) -> WebhookEndpoint | None:
    qs = WebhookEndpoint.objects.select_for_update()
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=list(customer_ids))
    return qs.filter(pk=endpoint_id).first()


def delivery_for_update(delivery_id: int) -> WebhookDelivery | None:
    return WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()


def delivery_claim_for_update(delivery_id: int) -> WebhookDelivery | None:
    """The delivery with its endpoint and customer, locked without waiting.

    A row another worker holds is skipped.

    Only the delivery row is locked; the endpoint and customer are read as they are.
    """
    return (
        WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("endpoint__customer")
        .filter(pk=delivery_id)
        .first()
    )
