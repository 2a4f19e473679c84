"""The one DRF error adapter: every API error is `{code, message, fields, extra}` (STYLE.md §6).

`fields` maps a path in the request to its problems and `extra` carries details for some codes;
both are `{}` when there is nothing to say, so clients never test whether a key is there. Field
paths are flattened the way a client reads them: `lines[2].quantity`.

Errors that never reach a DRF view under /api/ (an unknown URL, a bad Host header, a server error)
get the same envelope from the Django error handlers at the end of this module (config/urls.py).
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError
from restapi.parsers import RequestTooLarge

API_PATH_PREFIX = "/api/"


def error_body(code: str, message: str, fields: dict | None = None, extra: dict | None = None) -> dict:
    """The error envelope: always these four keys, `fields` and `extra` `{}` when empty."""
    return {"code": code, "message": str(message), "fields": fields or {}, "extra": extra or {}}


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


def _as_api_exception(exc):
    """Django's own refusals of a request body, as the API exceptions a client is told about."""
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    # Raised while Django reads the body (request.body, request.POST, multipart): without this they
    # would leave DRF and become Django's HTML 400.
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge()
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        return exceptions.ParseError(_("The form has too many fields or files."))
    return exc


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        body = exc.as_dict()
        return Response(
            error_body(body["code"], body["message"], body["fields"], exc.extra), status=exc.status
        )
    exc = _as_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = error_body("invalid", _("Some fields are not valid."), flatten_errors(exc.detail))
    else:
        detail = exc.detail
        code = next(iter(_codes(detail)), None) or getattr(exc, "default_code", "error")
        message = detail if not isinstance(detail, (list, dict)) else exc.default_detail
        extra = None
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            extra = {"retry_after": int(exc.wait) + 1}
        body = error_body(code, message, extra=extra)
    if response.status_code == status.HTTP_415_UNSUPPORTED_MEDIA_TYPE:
        body["code"] = "unsupported_media_type"
    response.data = body
    return response


# Django's error views (config/urls.py handler400/403/404/500): the envelope under /api/, Django's
# own pages elsewhere. Django still logs and signals a server error before calling server_error.


def _is_api(request) -> bool:
    return request.path_info.startswith(API_PATH_PREFIX)


def bad_request(request, exception):
    if _is_api(request):
        return JsonResponse(error_body("bad_request", _("The request could not be understood.")), status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if _is_api(request):
        body = error_body("permission_denied", _("You do not have permission to perform this action."))
        return JsonResponse(body, status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if _is_api(request):
        return JsonResponse(error_body("not_found", _("Not found.")), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        body = error_body("server_error", _("Something went wrong on our side. Try again later."))
        return JsonResponse(body, status=500)
    return defaults.server_error(request)
