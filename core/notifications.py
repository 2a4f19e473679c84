"""The one notification service: a notice to users (in-app list in the portal and the admin, and an
e-mail) or to an outside address (e-mail only), sent once per fact and never at the cost of the
decision it announces.

`notify()` runs inside the caller's transaction and only writes rows: `(key, recipient)` is unique,
so a retried task or two overlapping runs that announce the same fact notify each person once. The
e-mails leave after commit: `notify` emits `notification.created`, whose listener queues
`notification_send`; the `core-send-notifications` sweep sends what that missed and retries
failures with backoff, so a mail server that is down delays a mail, never loses it, and never rolls
back an approval. A row is claimed before its mail is sent (no lock is held while talking to the
mail server); a worker that dies between sending and recording may, after the claim expires, send
that one mail again — at least once, like every outbound call here.

Texts are Django templates per kind, `templates/notifications/<kind>.subject.txt` and `<kind>.txt`,
rendered from the stored context in the reader's language: an e-mail in the language the notice was
written for, an in-app notice in whatever language its reader is using.
"""

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation

from core import events
from core.models import MailStatus, Notification
from core.sweeps import Sweep

logger = logging.getLogger(__name__)

NOTIFICATION_CREATED = "notification.created"
MAX_MAIL_ATTEMPTS = 6
# A claim older than this is taken to belong to a worker that died mid-send.
CLAIM_TIMEOUT = dt.timedelta(minutes=10)


def _users_by_id(notices: Sequence[dict]) -> dict[int, object]:
    ids = {
        getattr(user, "pk", user)
        for notice in notices
        for user in notice.get("users", ())
        if user is not None
    }
    if not ids:
        return {}
    return {user.pk: user for user in get_user_model()._default_manager.filter(pk__in=ids, is_active=True)}


def notify(
    *,
    kind: str,
    key: str,
    users: Iterable = (),
    emails: Iterable[str] = (),
    context: dict | None = None,
    link: str = "",
    language: str | None = None,
) -> list[Notification]:
    """Write one notice per recipient of `kind` for the fact `key`, once per (key, recipient).

    `users` (User objects or ids; inactive users are skipped) get an in-app notice and, if they have
    an address, an e-mail; `emails` are outside addresses, e-mail only. `context` must be
    JSON-serialisable; `link` is a site path shown on the notice and made absolute in the e-mail
    (SITE_BASE_URL). Call it inside the transaction of the decision: rows roll back with it.
    Side effect: `notification.created` (its listener queues the e-mails). Returns the rows created
    now; recipients already notified for `key` are skipped.
    """
    return notify_many(
        [
            {
                "kind": kind,
                "key": key,
                "users": users,
                "emails": emails,
                "context": context,
                "link": link,
                "language": language,
            }
        ]
    )


def notify_many(notices: Sequence[dict]) -> list[Notification]:
    """`notify` for many facts at once (each dict holds notify's keyword arguments), in a fixed number
    of queries whatever their count: the users, the recipients already notified, one insert (SQLite
    splits it by its variable limit), one event. For runs that announce a batch (the dunning sweep)."""
    notices = [dict(notice, users=list(notice.get("users", ()))) for notice in notices]
    users = _users_by_id(notices)
    wanted: dict[tuple[str, str], Notification] = {}
    for notice in notices:
        key, language = notice["key"], notice.get("language") or settings.LANGUAGE_CODE
        common = {
            "key": key,
            "kind": notice["kind"],
            "context": notice.get("context") or {},
            "link": notice.get("link", ""),
            "language": language,
        }
        for ref in sorted({getattr(user, "pk", user) for user in notice["users"] if user is not None}):
            user = users.get(ref)
            if user is None:
                continue  # inactive or gone
            wanted.setdefault(
                (key, f"user:{user.pk}"),
                Notification(
                    user=user,
                    email=user.email or "",
                    mail_status=MailStatus.PENDING if user.email else MailStatus.NONE,
                    recipient=f"user:{user.pk}",
                    **common,
                ),
            )
        for address in notice.get("emails", ()):
            address = (address or "").strip().lower()
            if address:
                wanted.setdefault(
                    (key, f"mail:{address}"),
                    Notification(
                        email=address, mail_status=MailStatus.PENDING, recipient=f"mail:{address}", **common
                    ),
                )
    if not wanted:
        return []
    with transaction.atomic():
        keys = sorted({key for key, _recipient in wanted})
        known = set(
            Notification.objects.filter(
                key__in=keys, recipient__in=sorted({r for _k, r in wanted})
            ).values_list("key", "recipient")
        )
        rows = [row for pair, row in wanted.items() if pair not in known]
        if not rows:
            return []
        # A concurrent notify() for the same key may have won a row meanwhile: the unique constraint
        # keeps the one notice, and its mail is sent from its own row.
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        mailed = sorted({row.key for row in rows if row.mail_status == MailStatus.PENDING})
        if mailed:
            events.emit(NOTIFICATION_CREATED, keys=mailed)
    return rows


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def notification_render(notification: Notification, *, language: str | None = None) -> Rendered:
    """The notice's subject and body in `language` (default: the language it was written for)."""
    context = dict(notification.context)
    context["link"] = absolute_link(notification.link) if notification.link else ""
    with translation.override(language or notification.language):
        subject = render_to_string(f"notifications/{notification.kind}.subject.txt", context)
        body = render_to_string(f"notifications/{notification.kind}.txt", context)
    return Rendered(subject=" ".join(subject.split()), body=body.strip() + "\n")


def absolute_link(path: str) -> str:
    return urljoin(settings.SITE_BASE_URL.rstrip("/") + "/", path.lstrip("/"))


def _mail_due(now: dt.datetime) -> Q:
    pending = Q(mail_status=MailStatus.PENDING) & (
        Q(mail_next_attempt_at__isnull=True) | Q(mail_next_attempt_at__lte=now)
    )
    abandoned = Q(mail_status=MailStatus.SENDING, mail_claimed_at__lt=now - CLAIM_TIMEOUT)
    return pending | abandoned


def _claim(notification_id: int, now: dt.datetime) -> bool:
    return bool(
        Notification.objects.filter(_mail_due(now), pk=notification_id).update(
            mail_status=MailStatus.SENDING, mail_claimed_at=now
        )
    )


def _send_one(notification: Notification, connection) -> None:
    now = timezone.now()
    if not _claim(notification.pk, now):
        return  # sent, being sent by another worker, or not due yet
    try:
        rendered = notification_render(notification)
        EmailMessage(
            rendered.subject,
            rendered.body,
            settings.DEFAULT_FROM_EMAIL,
            [notification.email],
            connection=connection,
        ).send()
    except Exception as exc:  # noqa: BLE001  (any failure is recorded on the row; the sweep retries)
        attempts = notification.mail_attempts + 1
        final = attempts >= MAX_MAIL_ATTEMPTS
        logger.log(
            logging.ERROR if final else logging.WARNING,
            "notification %s to %s failed (attempt %s): %s",
            notification.pk,
            notification.email,
            attempts,
            exc,
        )
        Notification.objects.filter(pk=notification.pk).update(
            mail_status=MailStatus.FAILED if final else MailStatus.PENDING,
            mail_attempts=attempts,
            mail_error=f"{type(exc).__name__}: {exc}"[:2000],
            mail_next_attempt_at=None if final else now + dt.timedelta(minutes=2**attempts),
            mail_claimed_at=None,
        )
        return
    Notification.objects.filter(pk=notification.pk).update(
        mail_status=MailStatus.SENT,
        mail_sent_at=timezone.now(),
        mail_attempts=notification.mail_attempts + 1,
        mail_error="",
        mail_claimed_at=None,
    )


def notification_send(*, key: str | None = None, keys: Sequence[str] = ()) -> int:
    """Send the due e-mails of the notices written for `key` or `keys` (the fast path after commit).

    Each row is claimed first, so two workers never both send it; a failure is recorded on the row
    with the next attempt time (exponential backoff, MAX_MAIL_ATTEMPTS) and left to the sweep.
    Returns the number of rows it tried.
    """
    wanted = [key] if key is not None else []
    wanted += list(keys)
    rows = list(Notification.objects.filter(_mail_due(timezone.now()), key__in=wanted).order_by("pk"))
    return _send(rows)


def _send(rows: list[Notification]) -> int:
    if not rows:
        return 0
    connection = get_connection()
    for row in rows:
        _send_one(row, connection)
    return len(rows)


def notifications_send_due(*, after: int | None = None, batch: int = 100) -> Sweep:
    """Sweep: send (or retry) up to `batch` due e-mails after notice id `after`."""
    rows = list(
        Notification.objects.filter(_mail_due(timezone.now()), pk__gt=after or 0).order_by("pk")[:batch]
    )
    _send(rows)
    return Sweep.of([row.pk for row in rows], batch)


# --- the in-app list --------------------------------------------------------------------------------


def notification_list_for_user(*, user) -> QuerySet[Notification]:
    """A user's own notices, newest first (nobody reads another's)."""
    return Notification.objects.filter(user_id=user.pk).order_by("-created_at", "-id")


def notification_unread_count(*, user) -> int:
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count()


def notification_mark_read(*, user, notification_id: int | None = None) -> int:
    """Mark one of the user's notices (or all of them) read. Returns how many changed."""
    notices = Notification.objects.filter(user_id=user.pk, read_at__isnull=True)
    if notification_id is not None:
        notices = notices.filter(pk=notification_id)
    with transaction.atomic():
        return notices.update(read_at=timezone.now())
