"""Writes for crm. Customer master data is edited in the admin; this module holds the summaries
that higher apps keep current on the customer (STYLE.md §2: summaries are written down), and
applies the roles of crm.roles to their groups, lifts sign-in lockouts, mails password-reset links
and password-change notices (from workers), and prunes old sign-in records."""

import logging
import uuid
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
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _
from redis.exceptions import RedisError

from core import events
from core.errors import NotFound, ValidationFailed
from core.money import quantize_money
from core.services import event_handle_once
from core.sweeps import Sweep
from crm.models import Customer
from crm.roles import ROLES

logger = logging.getLogger(__name__)


def customer_set_credit_exposure(*, customer_id: int, amount: Decimal) -> None:
    """Store a customer's open credit exposure (the sum of open invoice balances, computed by finance).

    Finance holds the customer's row lock while it sums the balances and calls this, so two
    payments for the same customer cannot overwrite each other with stale sums.
    Raises ValidationFailed for a negative amount, NotFound for an unknown customer.
    """
    amount = quantize_money(amount)
    if amount < 0:
        raise ValidationFailed(fields={"credit_exposure": [_("The exposure cannot be negative.")]})
    with transaction.atomic():
        if not Customer.objects.filter(pk=customer_id).update(credit_exposure=amount):
            raise NotFound()


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
