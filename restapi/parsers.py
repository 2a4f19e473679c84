"""Request parsers that refuse bodies over settings.API_MAX_BODY_BYTES with a 413 in the error envelope.

The declared Content-Length is checked before anything is read; a body without one (chunked) is
read at most one byte past the limit, so an oversized upload never sits in memory whole.
"""

import io

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import parsers, status
from rest_framework.exceptions import APIException


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "request_too_large"


def _check_declared_length(parser_context) -> None:
    request = (parser_context or {}).get("request")
    meta = getattr(request, "META", {}) if request is not None else {}
    try:
        declared = int(meta.get("CONTENT_LENGTH") or 0)
    except (TypeError, ValueError):
        declared = 0
    if declared > settings.API_MAX_BODY_BYTES:
        raise RequestTooLarge()


def _read_bounded(stream) -> io.BytesIO:
    limit = settings.API_MAX_BODY_BYTES
    body = stream.read(limit + 1) if stream is not None else b""
    if len(body) > limit:
        raise RequestTooLarge()
    return io.BytesIO(body)


class LimitedJSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        _check_declared_length(parser_context)
        return super().parse(_read_bounded(stream), media_type, parser_context)


class LimitedFormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        _check_declared_length(parser_context)
        return super().parse(_read_bounded(stream), media_type, parser_context)


class LimitedMultiPartParser(parsers.MultiPartParser):
    # Multipart is streamed by Django, which also enforces DATA_UPLOAD_MAX_MEMORY_SIZE per field.
    def parse(self, stream, media_type=None, parser_context=None):
        _check_declared_length(parser_context)
        return super().parse(stream, media_type, parser_context)
