import uuid
from typing import ClassVar

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class TimelineEvent(models.Model):
    """Append-only timeline entry of a document (order, invoice, shipment): who, when, what, from → to.

    Subclasses add the FK to their document, `from_status`/`to_status` with their own choices, and
    `kinds`: the app's timeline kinds enum (declared in its states.py). `kind` keeps no database
    choices so that a new kind needs no migration; screens show `kind_label`.
    """

    kinds: ClassVar[type[models.TextChoices] | None] = None

    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    @property
    def kind_label(self) -> str:
        """The translated label of `kind`; the code itself for a kind no enum declares."""
        if self.kinds is not None and self.kind in self.kinds.values:
            return str(self.kinds(self.kind).label)
        return self.kind

    @classmethod
    def record(cls, **fields):
        """Write one entry (the arguments of `build`); e.g. `OrderEvent.record(order=order, kind=…)`."""
        entry = cls.build(**fields)
        entry.save(force_insert=True)
        return entry

    @classmethod
    def build(
        cls,
        *,
        kind: str,
        actor=None,
        from_status: str = "",
        to_status: str = "",
        note: str = "",
        data: dict | None = None,
        **document,
    ):
        """One entry, not saved yet; `document` is the FK to the timeline's document, e.g. `order=order`.
        For writers that record many at once (`cls.objects.bulk_create`); `record` saves one."""
        return cls(
            kind=kind,
            actor=actor if getattr(actor, "pk", None) else None,
            from_status=from_status,
            to_status=to_status,
            note=note,
            data=data or {},
            **document,
        )


class Sequence(models.Model):
    """A named, gap-free counter (e.g. order numbers per year), advanced under a row lock."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    value = models.PositiveBigIntegerField(_("last value"), default=0)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")

    def __str__(self):
        return f"{self.name}={self.value}"


class OutboxEvent(models.Model):
    """A domain event written in the transaction of the change it announces (the transactional outbox).

    The relay (core.outbox) hands it to its listeners after commit and stamps `dispatched_at`; until
    then it is pending and the relay sweep retries it, so a committed change always reaches its
    listeners, at least once, under the same `id`.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=100)
    payload = models.JSONField(_("payload"), default=dict, encoder=DjangoJSONEncoder)
    aggregate_type = models.CharField(_("aggregate type"), max_length=64, blank=True)
    aggregate_id = models.CharField(_("aggregate id"), max_length=64, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    # After a listener failed on it: the sweep leaves the event alone until then (exponential backoff).
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")
        indexes = [
            # The relay sweep reads "pending, oldest first"; the purge reads "dispatched before".
            models.Index(
                fields=["occurred_at", "id"],
                condition=models.Q(dispatched_at__isnull=True),
                name="core_outbox_pending_idx",
            ),
            models.Index(
                fields=["dispatched_at"],
                condition=models.Q(dispatched_at__isnull=False),
                name="core_outbox_dispatched_idx",
            ),
            models.Index(fields=["aggregate_type", "aggregate_id"], name="core_outbox_aggregate_idx"),
        ]

    def __str__(self):
        return f"{self.name} {self.id}"


class ProcessedEvent(models.Model):
    """Receipt that a handler acted on an event: the generic guard for handlers that must act once."""

    handler = models.CharField(_("handler"), max_length=100)
    event_id = models.UUIDField(_("event id"))
    processed_at = models.DateTimeField(_("processed at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("processed event")
        verbose_name_plural = _("processed events")
        constraints = [
            models.UniqueConstraint(fields=["handler", "event_id"], name="core_processed_event_uniq")
        ]

    def __str__(self):
        return f"{self.handler}:{self.event_id}"


class MailStatus(models.TextChoices):
    NONE = "none", _("No e-mail")
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notification(models.Model):
    """One notice to one recipient (a user: in-app and e-mail; an external address: e-mail only).

    Written by `core.notifications.notify` in the transaction of the decision it announces; the
    e-mail leaves after commit (core.notifications.notification_send). `(key, recipient)` is unique:
    whoever calls twice for the same fact (a retried task, two overlapping runs) notifies once.
    """

    key = models.CharField(_("key"), max_length=200)
    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    # "user:<id>" or "mail:<address>": the uniqueness of a notice per person.
    recipient = models.CharField(_("recipient"), max_length=270)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("user"),
    )
    email = models.EmailField(_("e-mail"), blank=True)
    context = models.JSONField(_("context"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    link = models.CharField(_("link"), max_length=300, blank=True)
    language = models.CharField(_("language"), max_length=10)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    mail_status = models.CharField(
        _("e-mail"), max_length=10, choices=MailStatus.choices, default=MailStatus.PENDING
    )
    mail_attempts = models.PositiveSmallIntegerField(_("e-mail attempts"), default=0)
    mail_claimed_at = models.DateTimeField(_("e-mail claimed at"), null=True, blank=True)
    mail_next_attempt_at = models.DateTimeField(_("next e-mail attempt"), null=True, blank=True)
    mail_sent_at = models.DateTimeField(_("e-mail sent at"), null=True, blank=True)
    mail_error = models.TextField(_("last e-mail error"), blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["key", "recipient"], name="core_notification_once"),
        ]
        indexes = [
            models.Index(fields=["user", "read_at"], name="core_notification_unread_idx"),
            models.Index(
                fields=["mail_next_attempt_at", "id"],
                condition=models.Q(mail_status__in=["pending", "sending"]),
                name="core_notification_mail_due_idx",
            ),
        ]

    def __str__(self):
        return f"{self.kind} → {self.recipient}"
