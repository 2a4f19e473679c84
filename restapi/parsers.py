"""Request parsers and body checks: each refusal is in the error envelope, never a 500 or an HTML 400.

- A request whose body length is not declared (`Transfer-Encoding`, e.g. chunked) is refused with
  411 before anything is read (restapi.base calls `check_body_framing` first): Django reads a WSGI
  body only up to its Content-Length, so such a body would otherwise be parsed as empty.
- A declared length over settings.API_MAX_BODY_BYTES is refused with 413 before the body is read
  (here, and by Django's DATA_UPLOAD_MAX_MEMORY_SIZE, which restapi.exceptions maps to the same
  413); a stream is still read at most one byte past the limit (`_read_bounded`).
- JSON nested deeper than settings.API_MAX_JSON_DEPTH is refused with 400 `parse_error`, and so is
  JSON nested so deeply that the decoder itself gives up (RecursionError): serializers, the
  idempotency hash and the renderer never see such data.

Form and multipart bodies are flat (a QueryDict cannot nest); Django enforces
DATA_UPLOAD_MAX_NUMBER_FIELDS and DATA_UPLOAD_MAX_MEMORY_SIZE on them, and restapi.exceptions maps
those refusals into the envelope.
"""

import io

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import parsers, status
from rest_framework.exceptions import APIException, ParseError


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "request_too_large"


class LengthRequired(APIException):
    status_code = status.HTTP_411_LENGTH_REQUIRED
    default_detail = _("Send the request body with a Content-Length header; chunked bodies are not accepted.")
    default_code = "length_required"


def _declared_length(meta) -> int:
    try:
        return int(meta.get("CONTENT_LENGTH") or 0)
    except (TypeError, ValueError):
        return 0


def check_body_framing(request) -> None:
    """Refuse, before anything is read, a request whose body length is not declared.

    Raises LengthRequired (411) when the request has a Transfer-Encoding (e.g. chunked).
    """
    # RFC 9112 §6.1: with Transfer-Encoding, the body's length is not given by Content-Length.
    # Django's WSGI request reads CONTENT_LENGTH bytes only, so a chunked body would look empty.
    if getattr(request, "META", {}).get("HTTP_TRANSFER_ENCODING"):
        raise LengthRequired()


def _check_declared_length(parser_context) -> None:
    request = (parser_context or {}).get("request")
    if request is not None and _declared_length(getattr(request, "META", {})) > settings.API_MAX_BODY_BYTES:
        raise RequestTooLarge()


def _read_bounded(stream) -> io.BytesIO:
    limit = settings.API_MAX_BODY_BYTES
    body = stream.read(limit + 1) if stream is not None else b""
    if len(body) > limit:
        raise RequestTooLarge()
    return io.BytesIO(body)


def json_depth_exceeds(value, limit: int) -> bool:
    """Whether `value` (parsed JSON) nests objects/arrays more than `limit` levels deep.

    Iterative, so it cannot itself run out of stack; `{"lines": [{"options": {}}]}` is 4 levels.
    """
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _too_deep() -> ParseError:
    return ParseError(
        _("JSON parse error - the body is nested more than %(max)d levels deep.")
        % {"max": settings.API_MAX_JSON_DEPTH}
    )


class LimitedJSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        _check_declared_length(parser_context)
        try:
            data = super().parse(_read_bounded(stream), media_type, parser_context)
        except RecursionError:
            # The decoder recurses per level and gives up long before the stack does.
            raise _too_deep()
        if json_depth_exceeds(data, settings.API_MAX_JSON_DEPTH):
            raise _too_deep()
        return data


class LimitedFormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        _check_declared_length(parser_context)
        return super().parse(_read_bounded(stream), media_type, parser_context)


class LimitedMultiPartParser(parsers.MultiPartParser):
    # Multipart is streamed by Django, which also enforces DATA_UPLOAD_MAX_MEMORY_SIZE per field.
    def parse(self, stream, media_type=None, parser_context=None):
        _check_declared_length(parser_context)
        return super().parse(stream, media_type, parser_context)
