"""The dealer API's own tables: API tokens and stored idempotent responses.

Both moved here from core with their tables (issue #6), hence `db_table` and the constraint name.
"""

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiTokenStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")


class ApiToken(models.Model):
    """A per-user API key. Only a SHA-256 digest is stored; the key is shown once at creation.

    A token stops working when it is revoked, at its own `expires_at` (optional), or once it is older
    than settings.API_TOKEN_MAX_AGE_DAYS (0: no maximum) — whichever comes first (`valid_until`).
    The maximum is read from the settings at each request, so lowering it also ends older tokens.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True, editable=False)
    digest = models.CharField(_("digest"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(
        _("expires at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Chosen when the token was made; empty: only the maximum age applies."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
        editable=False,
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]
        # The table kept its name when the model moved from core (issue #6).
        db_table = "core_apitoken"

    def __str__(self):
        return f"{self.prefix}… ({self.user})"

    @property
    def valid_until(self) -> dt.datetime | None:
        """When the token stops working: its own expiry or the maximum age, the earlier; None: never."""
        limits = [self.expires_at] if self.expires_at is not None else []
        max_age_days = settings.API_TOKEN_MAX_AGE_DAYS
        if max_age_days > 0:
            limits.append(self.created_at + dt.timedelta(days=max_age_days))
        return min(limits, default=None)

    def is_expired(self, now: dt.datetime | None = None) -> bool:
        valid_until = self.valid_until
        return valid_until is not None and (now or timezone.now()) >= valid_until

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return ApiTokenStatus.REVOKED
        return ApiTokenStatus.EXPIRED if self.is_expired() else ApiTokenStatus.ACTIVE

    def get_status_display(self) -> str:
        return str(ApiTokenStatus(self.status).label)

    @property
    def is_active(self) -> bool:
        return self.status == ApiTokenStatus.ACTIVE

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def generate_key() -> str:
        return "oms_" + secrets.token_urlsafe(32)


class IdempotencyKey(models.Model):
    """A stored response for an `Idempotency-Key`, scoped to a dealer, kept at least 24 h."""

    scope = models.CharField(_("scope"), max_length=64)
    key = models.CharField(_("key"), max_length=255)
    request_hash = models.CharField(_("request hash"), max_length=64)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_body = models.JSONField(_("response body"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        db_table = "core_idempotencykey"
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="core_idempotency_scope_key_uniq")
        ]

    def __str__(self):
        return f"{self.scope}:{self.key}"
