"""Writes for crm. Customer master data is edited in the admin; this module holds the summaries
that higher apps keep current on the customer (STYLE.md §2: summaries are written down), the credit
hold and the customer's credit timeline, and
applies the roles of crm.roles to their groups, lifts sign-in lockouts, mails password-reset links
and password-change notices (from workers), and prunes old sign-in records."""

import datetime as dt
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import send_mail
from django.db import DEFAULT_DB_ALIAS, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _
from redis.exceptions import RedisError

from core import events
from core.errors import NotFound, ValidationFailed
from core.money import ZERO, quantize_money
from core.notifications import notify_many
from core.services import event_handle_once
from core.sweeps import Sweep
from crm.models import CreditEventKind, Customer, CustomerCreditEvent
from crm.roles import FINANCE, ROLES
from crm.selectors import customer_portal_user_ids, user_ids_in_role

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CreditPosition:
    """A customer's credit figures as finance computes them (crm stores them; STYLE.md §2).

    `receivables_open`: open invoice balances; `orders_uninvoiced`: value of open orders not invoiced
    yet; their sum is the credit exposure. `overdue_balance` and `overdue_since` (the oldest overdue
    due date) describe the overdue invoices that are not in dispute.
    """

    receivables_open: Decimal = ZERO
    orders_uninvoiced: Decimal = ZERO
    overdue_balance: Decimal = ZERO
    overdue_since: dt.date | None = None

    @property
    def exposure(self) -> Decimal:
        return self.receivables_open + self.orders_uninvoiced

    def fields(self) -> dict:
        """The Customer fields this position sets, rounded to the cent."""
        return {
            "receivables_open": quantize_money(self.receivables_open),
            "orders_uninvoiced": quantize_money(self.orders_uninvoiced),
            "overdue_balance": quantize_money(self.overdue_balance),
            "overdue_since": self.overdue_since,
            "credit_exposure": quantize_money(self.exposure),
        }


CREDIT_POSITION_FIELDS = (
    "receivables_open",
    "orders_uninvoiced",
    "overdue_balance",
    "overdue_since",
    "credit_exposure",
)


def _checked(position: CreditPosition) -> dict:
    fields = position.fields()
    negative = [name for name, value in fields.items() if isinstance(value, Decimal) and value < 0]
    if negative:
        raise ValidationFailed(fields={name: [_("The amount cannot be negative.")] for name in negative})
    return fields


def customer_set_credit_position(*, customer_id: int, position: CreditPosition) -> None:
    """Store a customer's credit position (exposure, its two parts and the overdue picture).

    Finance holds the customer's row lock while it sums the figures and calls this, so two changes for
    the same customer cannot overwrite each other with stale sums.
    Raises ValidationFailed for a negative amount, NotFound for an unknown customer; nothing is written then.
    """
    fields = _checked(position)
    with transaction.atomic():
        if not Customer.objects.filter(pk=customer_id).update(**fields, credit_position_at=timezone.now()):
            raise NotFound()


def customer_set_credit_positions(*, positions: Mapping[int, CreditPosition]) -> list[int]:
    """Store the credit positions of many customers (finance's nightly drift repair); only rows whose
    stored figures differ are written. The caller holds the customers' row locks.

    Returns the ids of the customers whose figures had drifted (and were corrected). Raises
    ValidationFailed for a negative amount; nothing is written then.
    """
    wanted = {customer_id: _checked(position) for customer_id, position in positions.items()}
    with transaction.atomic():
        stored = Customer.objects.filter(pk__in=list(wanted)).values_list("pk", *CREDIT_POSITION_FIELDS)
        now = timezone.now()
        drifted = [
            Customer(pk=pk, credit_position_at=now, **wanted[pk])
            for pk, *values in stored
            if dict(zip(CREDIT_POSITION_FIELDS, values, strict=True)) != wanted[pk]
        ]
        if drifted:
            Customer.objects.bulk_update(
                drifted, [*CREDIT_POSITION_FIELDS, "credit_position_at"], batch_size=500
            )
    return sorted(customer.pk for customer in drifted)


@dataclass(frozen=True)
class CreditEventEntry:
    """One entry for customers' credit timelines, written by `customer_credit_events_record`."""

    customer_id: int
    kind: str
    note: str = ""
    data: dict = field(default_factory=dict)
    actor_id: int | None = None
    at: dt.datetime | None = None


def customer_credit_events_record(*, entries: Sequence[CreditEventEntry]) -> None:
    """Append entries to customers' credit timelines in one statement (finance logs the reminders it
    sent here, in the transaction that sent them)."""
    if not entries:
        return
    now = timezone.now()
    with transaction.atomic():
        CustomerCreditEvent.objects.bulk_create(
            [
                CustomerCreditEvent(
                    customer_id=entry.customer_id,
                    kind=CreditEventKind(entry.kind),
                    note=entry.note,
                    data=entry.data,
                    actor_id=entry.actor_id,
                    created_at=entry.at or now,
                )
                for entry in entries
            ]
        )


def _hold_reason(reason: str) -> str:
    reason = (reason or "").strip()
    limit = Customer._meta.get_field("credit_hold_reason").max_length
    if not reason:
        raise ValidationFailed(fields={"reason": [_("Give a reason.")]})
    if len(reason) > limit:
        raise ValidationFailed(
            fields={"reason": [_("Keep the reason within %(limit)d characters.") % {"limit": limit}]}
        )
    return reason


def _customer_for_update(customer_id: int) -> Customer:
    # FOR NO KEY UPDATE: orders and invoices being inserted for this customer (their foreign key
    # takes a KEY SHARE lock on it) do not wait for us.
    customer = Customer.objects.select_for_update(no_key=True).filter(pk=customer_id).first()
    if customer is None:
        raise NotFound()
    return customer


def _notify_credit_staff(customer: Customer, *, kind: str, key: str, actor, context: dict, link: str) -> None:
    """Tell the customer's rep and the Finance group (not the person who acted) about a credit change,
    and the dealer users acting for the customer (without the staff link: the page is the seller's)."""
    users = set(user_ids_in_role(FINANCE))
    if customer.sales_rep_id:
        users.add(customer.sales_rep_id)
    users.discard(getattr(actor, "pk", None))
    dealers = set(customer_portal_user_ids(customer_ids=[customer.pk]).get(customer.pk, ())) - users
    dealers.discard(getattr(actor, "pk", None))
    context = {"customer_code": customer.code, "customer_name": customer.name, **context}
    notices = []
    if users:
        notices.append(
            {
                "kind": kind,
                "key": key,
                "users": sorted(users),
                "context": context,
                "link": link or reverse("admin:crm_customer_change", args=[customer.pk]),
            }
        )
    if dealers:
        notices.append({"kind": kind, "key": key, "users": sorted(dealers), "context": context})
    if notices:
        notify_many(notices)


def customer_set_credit_hold(
    *, customer_id: int, reason: str, actor=None, data: dict | None = None, link: str = ""
) -> tuple[Customer, bool]:
    """Put a customer on credit hold: new orders need finance's release (orders' review rules read
    `credit_hold`). Finance does it by hand, or collections after the last reminder level.

    A customer already on hold is returned unchanged (False): the first hold's reason and date stand.
    Side effects: `credit_hold`, its reason and date; a `customer.credit_hold_set` timeline entry (with
    `data`); a `customer.credit_hold` notification to the customer's rep and the Finance group (but
    the actor), pointing to `link` (default: the customer's admin page).
    Raises ValidationFailed without a reason (or one over 200 characters), NotFound; nothing is written then.
    """
    reason = _hold_reason(reason)
    with transaction.atomic():
        customer = _customer_for_update(customer_id)
        if customer.credit_hold:
            return customer, False
        customer.credit_hold, customer.credit_hold_reason = True, reason
        customer.credit_hold_at = timezone.now()
        customer.save(update_fields=["credit_hold", "credit_hold_reason", "credit_hold_at", "updated_at"])
        event = CustomerCreditEvent.record(
            kind=CreditEventKind.CREDIT_HOLD_SET, customer=customer, actor=actor, note=reason, data=data
        )
        _notify_credit_staff(
            customer,
            kind="customer.credit_hold",
            key=f"customer.credit_hold:{event.pk}",
            actor=actor,
            context={"reason": reason, "automatic": actor is None},
            link=link,
        )
    return customer, True


def customer_release_credit_hold(
    *, customer_id: int, reason: str, actor=None, link: str = ""
) -> tuple[Customer, bool]:
    """Release a customer's credit hold (finance). A customer not on hold is returned unchanged (False).

    Collections does not hold the customer again for the invoices that led to this hold; a later
    invoice past the last reminder level does.
    Side effects: the hold fields cleared; a `customer.credit_hold_released` timeline entry; a
    `customer.credit_hold_released` notification to the rep and the Finance group.
    Raises ValidationFailed without a reason, NotFound; nothing is written then.
    """
    reason = _hold_reason(reason)
    with transaction.atomic():
        customer = _customer_for_update(customer_id)
        if not customer.credit_hold:
            return customer, False
        held = {"reason": customer.credit_hold_reason, "since": customer.credit_hold_at}
        customer.credit_hold, customer.credit_hold_reason, customer.credit_hold_at = False, "", None
        customer.save(update_fields=["credit_hold", "credit_hold_reason", "credit_hold_at", "updated_at"])
        event = CustomerCreditEvent.record(
            kind=CreditEventKind.CREDIT_HOLD_RELEASED,
            customer=customer,
            actor=actor,
            note=reason,
            data={
                "held_for": held["reason"],
                "held_since": held["since"].isoformat() if held["since"] else None,
            },
        )
        _notify_credit_staff(
            customer,
            kind="customer.credit_hold_released",
            key=f"customer.credit_hold_released:{event.pk}",
            actor=actor,
            context={"reason": reason},
            link=link,
        )
    return customer, True


def roles_sync(*, using: str = DEFAULT_DB_ALIAS, prune: bool = False) -> dict[str, tuple[int, int]]:
    """Give each group of crm.roles.ROLES the permissions listed for it.

    Creates missing groups and grants missing permissions. With `prune`, also withdraws what a group
    holds beyond its list (a grant an administrator added by hand, or one a newer release dropped);
    without it such grants are kept, so a deploy never takes away what an administrator gave. Groups
    not in ROLES and users' own permissions are left alone. Running it again changes nothing.
    Precondition: every app's permissions exist (post_migrate has created them).
    Returns {group name: (permissions granted, permissions withdrawn)}.
    Raises ImproperlyConfigured, writing nothing, when ROLES names a permission that does not exist.
    """
    wanted = {name: {tuple(perm.split(".", 1)) for perm in perms} for name, perms in ROLES.items()}
    app_labels = {app_label for perms in wanted.values() for app_label, _codename in perms}
    with transaction.atomic(using=using):
        existing = {
            (app_label, codename): pk
            for pk, app_label, codename in Permission.objects.using(using)
            .filter(content_type__app_label__in=app_labels)
            .values_list("pk", "content_type__app_label", "codename")
        }
        missing = set().union(*wanted.values()) - existing.keys()
        if missing:
            names = ", ".join(sorted(".".join(perm) for perm in missing))
            raise ImproperlyConfigured(f"crm.roles.ROLES names permissions that do not exist: {names}")
        changes = {}
        for name, perms in wanted.items():
            group, _created = Group.objects.using(using).get_or_create(name=name)
            held = set(group.permissions.values_list("pk", flat=True))
            target = {existing[perm] for perm in perms}
            grant, withdraw = target - held, (held - target) if prune else set()
            if grant:
                group.permissions.add(*grant)
            if withdraw:
                group.permissions.remove(*withdraw)
            changes[name] = (len(grant), len(withdraw))
    return changes


def user_sign_in_unlock(*, username: str) -> int:
    """Lift a sign-in lockout of the account `username`: forget its failed attempts (django-axes).

    Only the account's own failures are forgotten; failures from a client address under other names
    still count against that address. Unlocking an account that is not locked changes nothing.
    Returns how many attempt records were removed.
    """
    if not username:
        return 0
    with transaction.atomic():
        return axes_reset(username=username)


# Password reset and change notices (issue #7; ASVS 2.5.5, 8.3.x). The request only records what to
# send, as a domain event; a worker builds the link and sends the mail, so neither the SMTP server's
# speed nor whether the address has an account shows in the response time.
PASSWORD_RESET_REQUESTED = "user.password_reset_requested"
PASSWORD_CHANGED = "user.password_changed"
RATE_WINDOW_SECONDS = 60 * 60


class PasswordChangedVia(StrEnum):
    """How a password was changed; the notice words it accordingly."""

    ACCOUNT = "account"  # the user, on the portal's password page (knowing the old password)
    RESET = "reset"  # with an e-mailed reset link
    ADMIN = "admin"  # an administrator, in the admin


def password_reset_link_lifetime() -> str:
    """How long a reset link works (settings.PASSWORD_RESET_TIMEOUT), in words of the active language."""
    now = timezone.now()
    return timeuntil(now + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT), now)


def _counted_within(key: str, *, limit: int) -> bool:
    """Count one hit of `key` in the cache; False once more than `limit` hits fall in its window.

    A fixed window of RATE_WINDOW_SECONDS opened by the key's first hit (Redis in production, where
    `incr` is atomic). The cache fails open (config.cache): without Redis nothing is limited.
    """
    try:
        cache.add(key, 0, timeout=RATE_WINDOW_SECONDS)
        return cache.incr(key) <= limit
    except (ValueError, RedisError):
        # ValueError: the key expired between add and incr, so this hit opens a new window.
        return True


def user_password_reset_request(
    *, email: str, client_address: str | None, domain: str, protocol: str, language: str
) -> int:
    """Record a password-reset request: one `user.password_reset_requested` event per active account
    with a usable password and this e-mail address (Django's PasswordResetForm.get_users).

    The event holds the user id and where the link should point (`domain`, `protocol`) and in which
    language to write — never the token; crm's listener queues user_password_reset_send. An unknown
    address records nothing. A client address (None: unknown) that asked more than
    PASSWORD_RESET_MAX_PER_ADDRESS_PER_HOUR times in its window records nothing either; the caller
    answers every case alike. Returns the number of events emitted.
    """
    if not _counted_within(
        f"crm:password-reset:address:{client_address or '-'}",
        limit=settings.PASSWORD_RESET_MAX_PER_ADDRESS_PER_HOUR,
    ):
        logger.warning("password reset refused: too many requests from %s", client_address)
        return 0
    user_ids = [user.pk for user in PasswordResetForm().get_users(email)]
    with transaction.atomic():
        for user_id in user_ids:
            events.emit(
                PASSWORD_RESET_REQUESTED, user_id=user_id, domain=domain, protocol=protocol, language=language
            )
    return len(user_ids)


def user_password_reset_send(
    *, user_id: int, domain: str, protocol: str, language: str, event_id: str | uuid.UUID | None = None
) -> bool:
    """Mail the user a password-reset link (Django's default_token_generator), in `language`.

    Sends nothing to an account that is gone, inactive, without a usable password or an address;
    nothing a second time for the same `event_id`; and nothing once the account was sent
    PASSWORD_RESET_MAX_PER_HOUR links in its window (a failed send counts too). Returns whether it sent.
    """
    user = get_user_model()._default_manager.filter(pk=user_id, is_active=True).first()
    address = getattr(user, get_user_model().get_email_field_name(), "") if user else ""
    if user is None or not address or not user.has_usable_password():
        return False
    with event_handle_once(handler="crm.user_password_reset_send", event_id=event_id) as first:
        if not first:
            return False
        if not _counted_within(
            f"crm:password-reset:user:{user.pk}", limit=settings.PASSWORD_RESET_MAX_PER_HOUR
        ):
            logger.warning("password reset mail to user %s not sent: too many this hour", user.pk)
            return False
        with translation.override(language):
            context = {
                "user": user,
                "email": address,
                "domain": domain,
                "protocol": protocol,
                "uid": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
                "valid_for": password_reset_link_lifetime(),
            }
            _send(
                "portal/registration/password_reset_subject.txt",
                "portal/registration/password_reset_email.txt",
                context,
                address,
            )
    return True


def user_password_change_announce(
    *,
    user_id: int,
    via: str,
    client_address: str | None,
    domain: str,
    protocol: str,
    language: str,
) -> uuid.UUID:
    """Record that the user's password was changed (`via` a PasswordChangedVia), from `client_address`:
    a `user.password_changed` event, whose listener queues the notice to the user (ASVS 2.5.5).

    Called by the interfaces right after they saved the new password. Returns the event id.
    """
    with transaction.atomic():
        return events.emit(
            PASSWORD_CHANGED,
            user_id=user_id,
            via=PasswordChangedVia(via).value,
            changed_at=timezone.now(),
            client_address=client_address or "",
            domain=domain,
            protocol=protocol,
            language=language,
        )


def user_password_change_notify(
    *,
    user_id: int,
    via: str,
    changed_at: str,
    client_address: str,
    domain: str,
    protocol: str,
    language: str,
    event_id: str | uuid.UUID | None = None,
) -> bool:
    """Mail the user that their password was changed: when, from which address, how, and what to do
    if it was not them (reset the password, tell the administrator), in `language`.

    Sends nothing to an account that is gone or has no address, nor a second time for the same
    `event_id`. Returns whether it sent.
    """
    user = get_user_model()._default_manager.filter(pk=user_id).first()
    address = getattr(user, get_user_model().get_email_field_name(), "") if user else ""
    if user is None or not address:
        return False
    with event_handle_once(handler="crm.user_password_change_notify", event_id=event_id) as first:
        if not first:
            return False
        with translation.override(language):
            context = {
                "user": user,
                "changed_at": timezone.localtime(parse_datetime(changed_at)),
                "client_address": client_address,
                "via": PasswordChangedVia(via),
                "domain": domain,
                "protocol": protocol,
            }
            _send(
                "crm/email/password_changed_subject.txt",
                "crm/email/password_changed_email.txt",
                context,
                address,
            )
    return True


def _send(subject_template: str, body_template: str, context: dict, address: str) -> None:
    subject = "".join(render_to_string(subject_template, context).splitlines())
    body = render_to_string(body_template, context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])


def sign_in_records_purge(*, batch: int = 1000) -> Sweep:
    """Sweep: delete up to `batch` django-axes records of each kind (attempt counters, failure log,
    sign-in log) last written more than AXES_LOG_RETENTION_DAYS ago.

    The counters of a lockout expire after AXES_COOLOFF_MINUTES, so records this old lock nobody out.
    Returns how many rows it deleted and whether a kind had a full batch (more may remain).
    """
    cutoff = timezone.now() - timedelta(days=settings.AXES_LOG_RETENTION_DAYS)
    handled, more = 0, False
    with transaction.atomic():
        for model in (AccessAttempt, AccessFailureLog, AccessLog):
            ids = list(
                model.objects.filter(attempt_time__lt=cutoff)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch]
            )
            if ids:
                model.objects.filter(pk__in=ids).delete()
            handled += len(ids)
            more = more or len(ids) >= batch
    return Sweep(handled=handled, more=more)
