"""Domain errors: one base type with a stable code, an HTTP status and a translatable message.

Exactly three adapters turn these into responses: the DRF exception handler
(restapi.exceptions), the admin mixin (core.admin_mixins) and the portal mixin (portal.mixins).
"""

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "domain_error"
    status = 400
    default_message = _("The request could not be carried out.")

    def __init__(
        self,
        message: Any = None,
        *,
        code: str | None = None,
        extra: dict | None = None,
        fields: dict[str, list[str]] | None = None,
    ):
        self.message = message if message is not None else self.default_message
        if code:
            self.code = code
        self.extra = extra or {}
        self.fields = fields or {}
        super().__init__(str(self.message))

    def as_dict(self) -> dict:
        body = {
            "code": self.code,
            "message": str(self.message),
            "fields": {k: [str(m) for m in v] for k, v in self.fields.items()},
        }
        if self.extra:
            body["extra"] = self.extra
        return body


class ValidationFailed(DomainError):
    """Business validation of otherwise well-formed input (unknown SKU, bad option…)."""

    code = "invalid"
    status = 400
    default_message = _("Some fields are not valid.")


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = _("Not found.")


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_message = _("The request conflicts with the current state.")


class ConcurrentModification(Conflict):
    code = "concurrent_modification"
    default_message = _("Someone else changed this record meanwhile. Reload it and try again.")


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403
    default_message = _("You are not allowed to do this.")
