"""Writes for webhooks: endpoint registration, fan-out of domain events, signed delivery, retries.

The delivery path never holds a row lock while talking to a receiver: an attempt claims the
delivery with a lease and commits, sends, then records the result in a new transaction. The lease
outlives the task's hard time limit (webhooks.limits), and a result is written onto the delivery
only by the claim that still holds it. Receivers dedupe on the event id (`X-OMS-Event-Id`), which
stays the same across retries and replays.

Where a request may go (webhooks.transport): unless WEBHOOK_ALLOW_PRIVATE_TARGETS, only https to
hosts whose every address is public — checked when the URL is registered and again, pinned to the
checked address, on every attempt.
"""

import dataclasses
import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable, Collection, Sequence
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from core import events
from core.errors import NotFound, ValidationFailed
from core.selectors import outbox_event_occurred_at
from core.services import event_handle_once
from core.sweeps import Sweep
from crm.models import Customer
from webhooks import limits, locks, payloads, signing, transport
from webhooks.errors import DeliveryInProgress, EndpointDisabled
from webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEventType,
    _new_secret,
)
from webhooks.selectors import webhook_delivery_list_due, webhook_endpoint_list_subscribed

logger = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 6 * 3600
USER_AGENT = "OMS-Webhooks/1"


# ---------------------------------------------------------------------------------------------
# Endpoint registration (admin, portal and API)
# ---------------------------------------------------------------------------------------------


def _url_error(message) -> ValidationFailed:
    return ValidationFailed(fields={"url": [message]})


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except DjangoValidationError:
        raise _url_error(_("Enter a valid http:// or https:// URL."))
    if len(url) > WebhookEndpoint._meta.get_field("url").max_length:
        raise _url_error(_("The URL is too long."))
    parts = urlsplit(url)
    # Credentials in the URL would be stored and shown in plain text wherever the URL is (portal,
    # API, admin); deliveries are authenticated by the signature instead.
    if parts.username is not None or parts.password is not None:
        raise _url_error(_("Leave user names and passwords out of the URL: each delivery is signed."))
    allow_private = settings.WEBHOOK_ALLOW_PRIVATE_TARGETS
    if parts.scheme != "https" and not allow_private:
        raise _url_error(_("Use https://."))
    host = parts.hostname or ""
    try:
        if allow_private:
            # Local development and tests: private networks are fine and names need not resolve.
            transport.check_host(host, allow_private=True)
        else:
            transport.resolve(host, parts.port or transport.DEFAULT_PORTS[parts.scheme], allow_private=False)
    except transport.TargetRefused as exc:
        if exc.reason == "unresolvable":
            raise _url_error(_("This host name could not be resolved."))
        raise _url_error(_("This address cannot receive webhooks: it is not a public internet address."))
    return url


def _clean_event_types(event_types: Sequence[str] | None) -> list[str]:
    if event_types is None:
        return []
    if isinstance(event_types, str) or not all(isinstance(t, str) for t in event_types):
        raise ValidationFailed(fields={"event_types": [_("Give a list of event types.")]})
    unknown = sorted({t for t in event_types if t not in WebhookEventType.values})
    if unknown:
        raise ValidationFailed(
            fields={"event_types": [_("Unknown event type: %(type)s.") % {"type": t} for t in unknown]}
        )
    return [t for t in WebhookEventType.values if t in set(event_types)]


def webhook_endpoint_validate(*, url: str, event_types: Sequence[str] | None) -> tuple[str, list[str]]:
    """Check a URL and a subscription without writing; returns them cleaned.

    An empty list of event types subscribes to every event. Unless WEBHOOK_ALLOW_PRIVATE_TARGETS
    (local development, tests), the URL must be https and its host must resolve (DNS lookup here)
    only to public addresses: localhost, loopback, private, link-local (cloud metadata), CGNAT,
    reserved and multicast addresses are refused, also behind an IPv6 translation prefix (NAT64,
    IPv4-compatible/-mapped/-translated, 6to4, Teredo: webhooks.transport.embedded_ipv4).
    Link-local, multicast and unspecified addresses are refused even then. Raises ValidationFailed
    (fields `url`, `event_types`).
    """
    fields: dict[str, list] = {}
    cleaned = []
    for clean, value in ((_clean_url, url), (_clean_event_types, event_types)):
        try:
            cleaned.append(clean(value))
        except ValidationFailed as exc:
            fields.update(exc.fields)
    if fields:
        raise ValidationFailed(fields=fields)
    return cleaned[0], cleaned[1]


def webhook_endpoint_create(
    *, customer: Customer, url: str, event_types: Sequence[str] | None, actor=None
) -> WebhookEndpoint:
    """Register an endpoint for `customer`, with a new signing secret (readable on the returned row).

    Preconditions: the customer is active. Raises ValidationFailed (`url`, `event_types`, `customer`).
    """
    url, event_types = webhook_endpoint_validate(url=url, event_types=event_types)
    if not customer.is_active:
        raise ValidationFailed(fields={"customer": [_("This customer is inactive.")]})
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(customer=customer, url=url, event_types=event_types)
    logger.info(
        "webhook endpoint %s created for customer %s by %s",
        endpoint.pk,
        customer.pk,
        getattr(actor, "pk", None),
    )
    return endpoint


def _reactivate(endpoint: WebhookEndpoint) -> list[str]:
    endpoint.is_active = True
    endpoint.consecutive_failures = 0
    endpoint.disabled_at = None
    endpoint.disabled_reason = ""
    return ["is_active", "consecutive_failures", "disabled_at", "disabled_reason"]


def webhook_endpoint_update(
    *,
    endpoint_id: int,
    customer_ids: Collection[int] | None,
    url: str | None = None,
    event_types: Sequence[str] | None = None,
    is_active: bool | None = None,
) -> WebhookEndpoint:
    """Change an endpoint's URL, subscription or active flag; None leaves a value unchanged.

    `customer_ids` are the customers the caller acts for (None: staff, any customer); another
    customer's endpoint is NotFound. Turning an endpoint on again clears its failure count.
    Raises NotFound, ValidationFailed.
    """
    if url is not None:
        url = _clean_url(url)
    if event_types is not None:
        event_types = _clean_event_types(event_types)
    with transaction.atomic():
        endpoint = locks.endpoint_for_update(endpoint_id, customer_ids=customer_ids)
        if endpoint is None:
            raise NotFound()
        fields = ["updated_at"]
        if url is not None:
            endpoint.url = url
            fields.append("url")
        if event_types is not None:
            endpoint.event_types = event_types
            fields.append("event_types")
        if is_active is True and not endpoint.is_active:
            fields += _reactivate(endpoint)
        elif is_active is False and endpoint.is_active:
            endpoint.is_active = False
            fields.append("is_active")
        endpoint.save(update_fields=fields)
    return endpoint


def webhook_endpoint_delete(*, endpoint_id: int, customer_ids: Collection[int] | None) -> None:
    """Delete an endpoint and its delivery log. Raises NotFound (also for another customer's endpoint)."""
    with transaction.atomic():
        endpoint = locks.endpoint_for_update(endpoint_id, customer_ids=customer_ids)
        if endpoint is None:
            raise NotFound()
        endpoint.delete()


def webhook_endpoint_rotate_secret(
    *, endpoint_id: int, customer_ids: Collection[int] | None
) -> WebhookEndpoint:
    """Replace the signing secret; every later attempt (retries too) is signed with the new one.

    Raises NotFound (also for another customer's endpoint).
    """
    with transaction.atomic():
        endpoint = locks.endpoint_for_update(endpoint_id, customer_ids=customer_ids)
        if endpoint is None:
            raise NotFound()
        endpoint.secret = _new_secret()
        endpoint.save(update_fields=["secret", "updated_at"])
    return endpoint


def webhook_endpoint_enable(*, endpoint_id: int) -> WebhookEndpoint:
    """Turn a (possibly auto-disabled) endpoint on again and reset its failure count (staff).

    Its pending deliveries are picked up by the next retry sweep. Idempotent. Raises NotFound.
    """
    with transaction.atomic():
        endpoint = locks.endpoint_for_update(endpoint_id)
        if endpoint is None:
            raise NotFound()
        if not endpoint.is_active or endpoint.consecutive_failures:
            endpoint.save(update_fields=[*_reactivate(endpoint), "updated_at"])
    return endpoint


# ---------------------------------------------------------------------------------------------
# Fan-out: one domain event → one delivery per subscribed endpoint
# ---------------------------------------------------------------------------------------------


def webhook_fanout(
    *, event_type: str, event_id: str | uuid.UUID, payload: dict, occurred_at: str | dt.datetime | None = None
) -> list[int]:
    """Create a delivery of the event for each active endpoint of its customer that wants it.

    `event_id` is fixed by whoever announced the event, so running this again for the same event
    (a redelivered task) creates nothing new: (endpoint, event_id) is unique. The body is a
    snapshot of the rows now (webhooks.payloads). Returns the ids of the deliveries it created.
    Side effect: a `webhook_delivery.created` event per new delivery, whose listener (webhooks.apps)
    queues its delivery task. Unknown event types, events
    without a customer and events whose row is gone are ignored (logged).
    """
    if event_type not in WebhookEventType.values:
        logger.warning("webhook fan-out ignored unknown event type %s", event_type)
        return []
    customer_id = payload.get("customer_id")
    if not customer_id:
        logger.warning("webhook fan-out of %s ignored: the event names no customer", event_type)
        return []
    endpoints = webhook_endpoint_list_subscribed(customer_id=customer_id, event_type=event_type)
    if not endpoints:
        return []
    data = payloads.build_data(event_type=event_type, payload=payload)
    if data is None:
        logger.warning("webhook fan-out of %s ignored: the row is gone (%s)", event_type, payload)
        return []
    event_id = uuid.UUID(str(event_id))
    if isinstance(occurred_at, str):
        occurred_at = parse_datetime(occurred_at)
    # The envelope says when the event happened, however late the relay handed it over.
    occurred_at = occurred_at or outbox_event_occurred_at(event_id=event_id)
    body = payloads.envelope(
        event_id=event_id, event_type=event_type, created_at=occurred_at or timezone.now(), data=data
    )
    now = timezone.now()
    with transaction.atomic():
        done = set(
            WebhookDelivery.objects.filter(event_id=event_id, endpoint__in=endpoints).values_list(
                "endpoint_id", flat=True
            )
        )
        new = [
            WebhookDelivery(
                endpoint=endpoint, event_id=event_id, event_type=event_type, payload=body, next_attempt_at=now
            )
            for endpoint in endpoints
            if endpoint.pk not in done
        ]
        # A concurrent run of the same fan-out may insert first: the unique constraint decides.
        WebhookDelivery.objects.bulk_create(new, ignore_conflicts=True)
        ids = list(
            WebhookDelivery.objects.filter(
                event_id=event_id,
                endpoint_id__in=[d.endpoint_id for d in new],
                status=DeliveryStatus.PENDING,
                attempts=0,
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for delivery_id in ids:
            events.emit("webhook_delivery.created", webhook_delivery_id=delivery_id)
    return ids


# ---------------------------------------------------------------------------------------------
# Delivery
# ---------------------------------------------------------------------------------------------


def backoff_seconds(attempts: int) -> int:
    """Wait before the next try after `attempts` failed ones: 30 s, 1 min, 2 min … capped at 6 h."""
    return min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)


@dataclasses.dataclass(frozen=True)
class _Claim:
    delivery_id: int
    endpoint_id: int
    url: str
    secret: str
    event_type: str
    event_id: str
    payload: dict
    attempt: int
    # The lease this claim wrote: the token that says the delivery is still this worker's.
    leased_until: dt.datetime


@dataclasses.dataclass(frozen=True)
class _Outcome:
    attempted_at: dt.datetime
    response_code: int | None
    duration_ms: int
    error: str

    @property
    def succeeded(self) -> bool:
        return self.response_code is not None and 200 <= self.response_code < 300


def _claim(delivery_id: int) -> _Claim | None:
    with transaction.atomic():
        delivery = locks.delivery_claim_for_update(delivery_id)
        if delivery is None:
            return None
        now = timezone.now()
        endpoint = delivery.endpoint
        if (
            delivery.status != DeliveryStatus.PENDING
            or not endpoint.is_active
            or not endpoint.customer.is_active
            or (delivery.next_attempt_at and delivery.next_attempt_at > now)
            or (delivery.leased_until and delivery.leased_until > now)
        ):
            return None
        delivery.attempts += 1
        delivery.leased_until = now + dt.timedelta(seconds=limits.lease_seconds())
        delivery.save(update_fields=["attempts", "leased_until", "updated_at"])
        return _Claim(
            delivery_id=delivery.pk,
            endpoint_id=endpoint.pk,
            url=endpoint.url,
            secret=endpoint.secret,
            event_type=delivery.event_type,
            event_id=str(delivery.event_id),
            payload=delivery.payload,
            attempt=delivery.attempts,
            leased_until=delivery.leased_until,
        )


def _send(claim: _Claim) -> _Outcome:
    body = payloads.encode(claim.payload)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-OMS-Event": claim.event_type,
        "X-OMS-Event-Id": claim.event_id,
        "X-OMS-Delivery-Attempt": str(claim.attempt),
        "X-OMS-Timestamp": str(timestamp),
        "X-OMS-Signature": signing.signature_header(secret=claim.secret, timestamp=timestamp, body=body),
    }
    attempted_at = timezone.now()
    started = time.monotonic()
    code, error = None, ""
    try:
        # Redirects are not followed: the signature and the registered URL belong together.
        answer = transport.post(
            claim.url,
            body=body,
            headers=headers,
            allow_private=settings.WEBHOOK_ALLOW_PRIVATE_TARGETS,
            connect_timeout=limits.connect_timeout(),
            read_timeout=limits.read_timeout(),
            total_timeout=limits.request_timeout(),
            max_response_bytes=limits.MAX_RESPONSE_BYTES,
        )
    except transport.TargetRefused as exc:
        error = f"Refused, nothing sent: {exc.detail}"
        logger.warning("webhook delivery %s refused: %s", claim.delivery_id, exc.detail)
    except transport.SendFailed as exc:
        error = str(exc)
    else:
        code = answer.status
        if not 200 <= code < 300:
            error = f"HTTP {code} {answer.reason}".strip()
    duration_ms = int((time.monotonic() - started) * 1000)
    return _Outcome(attempted_at=attempted_at, response_code=code, duration_ms=duration_ms, error=error[:500])


def _record(claim: _Claim, outcome: _Outcome) -> WebhookDelivery | None:
    with transaction.atomic():
        endpoint = locks.endpoint_for_update(claim.endpoint_id)
        delivery = locks.delivery_for_update(claim.delivery_id)
        if endpoint is None or delivery is None:
            return None  # deleted while we were sending
        WebhookAttempt.objects.create(
            delivery=delivery,
            attempted_at=outcome.attempted_at,
            response_code=outcome.response_code,
            duration_ms=outcome.duration_ms,
            error=outcome.error,
        )
        if (
            delivery.status != DeliveryStatus.PENDING
            or delivery.attempts != claim.attempt
            or delivery.leased_until != claim.leased_until
        ):
            # This claim is stale: its lease ran out and another worker (or a replay) took the
            # delivery over, or already finished it. The newer claim owns the row and the endpoint's
            # failure count; this result is only logged.
            logger.warning(
                "webhook delivery %s: stale result of attempt %s only logged", delivery.pk, claim.attempt
            )
            return delivery
        now = timezone.now()
        delivery.leased_until = None
        delivery.last_response_code = outcome.response_code
        delivery.last_error = outcome.error
        if outcome.succeeded:
            delivery.status = DeliveryStatus.SUCCEEDED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
            if endpoint.consecutive_failures:
                endpoint.consecutive_failures = 0
                endpoint.save(update_fields=["consecutive_failures", "updated_at"])
        else:
            if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
                delivery.status = DeliveryStatus.FAILED
                delivery.next_attempt_at = None
            else:
                delivery.next_attempt_at = now + dt.timedelta(seconds=backoff_seconds(delivery.attempts))
            endpoint.consecutive_failures += 1
            fields = ["consecutive_failures", "updated_at"]
            if (
                endpoint.is_active
                and endpoint.consecutive_failures >= settings.WEBHOOK_DISABLE_AFTER_FAILURES
            ):
                endpoint.is_active = False
                endpoint.disabled_at = now
                endpoint.disabled_reason = _("Disabled after %(count)d failed deliveries in a row.") % {
                    "count": endpoint.consecutive_failures
                }
                fields += ["is_active", "disabled_at", "disabled_reason"]
                events.emit(
                    "webhook_endpoint.disabled",
                    webhook_endpoint_id=endpoint.pk,
                    customer_id=endpoint.customer_id,
                )
            endpoint.save(update_fields=fields)
        delivery.save(
            update_fields=[
                "leased_until",
                "last_response_code",
                "last_error",
                "status",
                "delivered_at",
                "next_attempt_at",
                "updated_at",
            ]
        )
    return delivery


def webhook_delivery_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """Send one due delivery once, signed, and record the outcome.

    Idempotent and safe to run twice at once: a delivery that succeeded, failed for good, is not
    yet due, is held by another worker, belongs to a disabled endpoint or to an inactive customer
    is left alone (returns None). Otherwise it is claimed (attempts + 1, a lease longer than the
    task's hard time limit) and committed, then POSTed with no transaction open — only if its
    host still resolves to allowed addresses, to one of which the connection is pinned; a refusal
    is a failed attempt that sends nothing. The result is recorded in a new transaction: an
    attempt log row; on 2xx the delivery succeeds and the endpoint's failure count resets;
    otherwise the next try is scheduled with exponential backoff, or the delivery fails after
    WEBHOOK_MAX_ATTEMPTS, and an endpoint reaching WEBHOOK_DISABLE_AFTER_FAILURES failures in a
    row is disabled and its customer notified by email (through the `webhook_endpoint.disabled`
    event). A claim whose lease was taken over meanwhile only logs its attempt. Call it outside any
    transaction.
    """
    claim = _claim(delivery_id)
    if claim is None:
        return None
    return _record(claim, _send(claim))


def webhook_delivery_replay(*, delivery_id: int, actor=None) -> WebhookDelivery:
    """Send a delivery again from the start of a new attempt cycle, with the same event id.

    Resets status and attempt count (the attempt log is kept) and makes it due now.
    Side effect: a `webhook_delivery.replayed` event, whose listener queues a delivery task.
    Raises NotFound, EndpointDisabled (enable the endpoint first), DeliveryInProgress (a worker is
    sending it right now).
    """
    with transaction.atomic():
        delivery = locks.delivery_for_update(delivery_id)
        if delivery is None:
            raise NotFound()
        now = timezone.now()
        if delivery.leased_until and delivery.leased_until > now:
            raise DeliveryInProgress()
        if not WebhookEndpoint.objects.filter(pk=delivery.endpoint_id, is_active=True).exists():
            raise EndpointDisabled()
        delivery.status = DeliveryStatus.PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = now
        delivery.delivered_at = None
        delivery.save(update_fields=["status", "attempts", "next_attempt_at", "delivered_at", "updated_at"])
        events.emit("webhook_delivery.replayed", webhook_delivery_id=delivery.pk)
    logger.info("webhook delivery %s replayed by %s", delivery.pk, getattr(actor, "pk", None))
    return delivery


def webhook_endpoint_notify_disabled(*, endpoint_id: int, event_id: str | uuid.UUID | None = None) -> int:
    """Email the customer that an endpoint was disabled: its primary contacts and its users.

    Falls back to the customer's sales rep when nobody else has an address. Sends nothing for an
    endpoint that is active again or gone, nor a second time for the same `event_id` (a redelivered
    `webhook_endpoint.disabled`). Returns the number of recipients emailed.
    """
    endpoint = WebhookEndpoint.objects.select_related("customer__sales_rep").filter(pk=endpoint_id).first()
    if endpoint is None or endpoint.is_active:
        return 0
    customer = endpoint.customer
    recipients = list(
        dict.fromkeys(
            [
                email
                for email in customer.contacts.filter(is_primary=True).values_list("email", flat=True)
                if email
            ]
            + [
                email
                for email in customer.users.filter(is_active=True)
                .order_by("pk")
                .values_list("email", flat=True)
                if email
            ]
        )
    )
    if not recipients and customer.sales_rep and customer.sales_rep.email:
        recipients = [customer.sales_rep.email]
    if not recipients:
        logger.warning(
            "webhook endpoint %s disabled; customer %s has no email address", endpoint.pk, customer.pk
        )
        return 0
    last = endpoint.deliveries.order_by("-updated_at").values_list("last_error", flat=True).first() or ""
    subject = _("Webhook endpoint disabled: %(url)s") % {"url": endpoint.url}
    body = _(
        "Hello %(customer)s,\n\n"
        "We stopped sending webhooks to %(url)s.\n"
        "%(reason)s\n"
        "Last error: %(error)s\n\n"
        "Deliveries still pending are sent once the endpoint is enabled again; events raised while it is "
        "disabled are not sent. Fix the receiver, then turn the endpoint on in the portal or with\n"
        'PATCH /api/v1/webhook-endpoints/%(id)s/ {"is_active": true}.\n'
    ) % {
        "customer": customer.name,
        "url": endpoint.url,
        "reason": endpoint.disabled_reason,
        "error": last or "-",
        "id": endpoint.pk,
    }
    with event_handle_once(handler="webhooks.endpoint_notify_disabled", event_id=event_id) as first:
        if not first:
            return 0
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    return len(recipients)


def webhook_deliver_due(
    *, enqueue: Callable[[int], None], after: list | None = None, batch: int = 200
) -> Sweep:
    """Sweep: hand up to `batch` due deliveries, oldest due first, to `enqueue` (the task queues them).

    It sends nothing itself, so a slow receiver holds up one worker, not the sweep. `after` is the
    cursor ([next_attempt_at ISO or None, id]) of the previous batch of the same chain, so a delivery
    still waiting in the queue is not queued again by it (the next beat tick may: the claim turns
    that into a no-op).
    """
    due = webhook_delivery_list_due()
    if after:
        at, pk = (parse_datetime(after[0]) if after[0] else None), int(after[1])
        if at is None:
            due = due.filter(next_attempt_at__isnull=True, pk__gt=pk)
        else:
            due = due.filter(
                Q(next_attempt_at__isnull=True) | Q(next_attempt_at__gt=at) | Q(next_attempt_at=at, pk__gt=pk)
            )
    rows = list(due.values_list("next_attempt_at", "pk")[:batch])
    for _at, delivery_id in rows:
        enqueue(delivery_id)
    return Sweep.of([[at.isoformat() if at else None, pk] for at, pk in rows], batch)
