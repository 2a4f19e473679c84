"""The one DRF error adapter: every error is `{code, message, fields}` (STYLE.md §6).

Field paths are flattened the way a client reads them: `lines[2].quantity`.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError


def flatten_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
                # DRF keys list-item errors by index ({"lines": {2: {...}}}): report lines[2]….
                path = f"{prefix}[{key}]"
                for k, v in flatten_errors(value, path).items():
                    out.setdefault(k, []).extend(v)
                continue
            name = "" if key == "non_field_errors" and not prefix else key
            path = f"{prefix}.{name}" if prefix and name else (prefix or name)
            for k, v in flatten_errors(value, path).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            out.setdefault(prefix or "non_field_errors", []).extend(str(item) for item in detail)
        else:
            for index, item in enumerate(detail):
                if item in ({}, []):
                    continue
                for k, v in flatten_errors(item, f"{prefix}[{index}]").items():
                    out.setdefault(k, []).extend(v)
    else:
        out.setdefault(prefix or "non_field_errors", []).append(str(detail))
    return out


def _codes(detail):
    if isinstance(detail, dict):
        for value in detail.values():
            yield from _codes(value)
    elif isinstance(detail, list):
        for value in detail:
            yield from _codes(value)
    elif hasattr(detail, "code"):
        yield detail.code


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = {
            "code": "invalid",
            "message": _("Some fields are not valid."),
            "fields": flatten_errors(exc.detail),
        }
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = next(iter(_codes(detail)), None) or getattr(exc, "default_code", "error")
        body = {
            "code": code,
            "message": str(detail if not isinstance(detail, (list, dict)) else exc.default_detail),
            "fields": {},
        }
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            body["extra"] = {"retry_after": int(exc.wait) + 1}
    response.data = body
    if response.status_code == status.HTTP_415_UNSUPPORTED_MEDIA_TYPE:
        response.data["code"] = "unsupported_media_type"
    return response
