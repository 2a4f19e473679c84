from django.conf import settings
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

    Subclasses add the FK to their document and `from_status`/`to_status` with their own choices.
    """

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

    @classmethod
    def record(
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
        """Write one entry; `document` is the FK to the timeline's document, e.g. `order=order`."""
        return cls.objects.create(
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
