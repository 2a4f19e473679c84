"""OpenAPI documentation shared by every endpoint: the token scheme and the documented error responses.

Importing this module registers the authentication extension with drf-spectacular (every api
views module imports it for `error_responses`).
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from restapi.exceptions import error_body
from restapi.serializers import ErrorSerializer


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "restapi.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Authorization: Token <key>` (or `Bearer <key>`). Keys are created in the portal "
            "(API tokens), by order managers in the admin, or with "
            "`manage.py create_api_token <username>`. A key works until it is revoked (401 "
            "`token_revoked`) or expires (401 `token_expired`).",
        }


def error_example(code: str, message: str, fields: dict | None = None, extra: dict | None = None) -> dict:
    """An error body for the schema's examples, built like the real ones (restapi.exceptions.error_body)."""
    return error_body(code, message, fields, extra)


_error = error_example


ERRORS: dict[int, tuple[str, list[OpenApiExample]]] = {
    400: (
        "Invalid input: bad JSON (or nested more than API_MAX_JSON_DEPTH levels), wrong types, unknown "
        "fields, or business validation (unknown SKU, "
        "inactive product, invalid option, quantity out of range, too many lines, bad date). "
        "Nothing was written.",
        [
            OpenApiExample(
                "Field errors",
                value=_error(
                    "invalid",
                    "Some fields are not valid.",
                    {
                        "lines[2].quantity": ["Quantity must be between 1 and 100000."],
                        "lines[0].options.cab": [
                            "“xl” is not an allowed value; choose one of: std, sleeper."
                        ],
                        "lines[1].unit_price": ["Unknown field."],
                    },
                ),
            ),
            OpenApiExample(
                "Malformed JSON",
                value=_error("parse_error", "JSON parse error - Expecting value: line 1 column 1 (char 0)"),
            ),
            OpenApiExample(
                "Nested too deeply",
                value=_error(
                    "parse_error", "JSON parse error - the body is nested more than 20 levels deep."
                ),
            ),
        ],
    ),
    401: (
        "Missing, malformed or unknown token (`not_authenticated`, `authentication_failed`), a revoked "
        "token (`token_revoked`) or an expired one (`token_expired`: past the expiry chosen when it was "
        "made, or older than the server's maximum token age). Create a new token for the last two.",
        [
            OpenApiExample(
                "No credentials",
                value=_error("not_authenticated", "Authentication credentials were not provided."),
            ),
            OpenApiExample("Unknown token", value=_error("authentication_failed", "Invalid token.")),
            OpenApiExample(
                "Revoked token",
                value=_error(
                    "token_revoked",
                    "This token was revoked. Create a new one on the portal's API tokens page.",
                ),
            ),
            OpenApiExample(
                "Expired token",
                value=_error(
                    "token_expired",
                    "This token expired on 2026-11-30T09:00:00+08:00. Create a new one on the portal's "
                    "API tokens page.",
                ),
            ),
        ],
    ),
    403: (
        "The account acts for no dealer customer (e.g. staff).",
        [
            OpenApiExample(
                "Not a dealer",
                value=_error(
                    "permission_denied",
                    "This endpoint is for dealer users; your account does not act for any customer.",
                ),
            ),
        ],
    ),
    404: (
        "No such object among yours. Another dealer's objects are reported the same way.",
        [
            OpenApiExample("Not found", value=_error("not_found", "Not found.")),
        ],
    ),
    409: (
        "Conflicts with the current state; `message` says why and `extra` carries the details.",
        [
            OpenApiExample(
                "Not in a cancellable state",
                value=_error(
                    "invalid_transition",
                    "Order SO-2026-000042 cannot go from “Shipped” to “Cancelled”.",
                    extra={"order": "SO-2026-000042", "status": "shipped", "target": "cancelled"},
                ),
            ),
            OpenApiExample(
                "Duplicate external reference",
                value=_error(
                    "duplicate_external_reference",
                    "External reference PO-7781 was already used by order SO-2026-000042.",
                    extra={"order": "SO-2026-000042", "external_reference": "PO-7781"},
                ),
            ),
            OpenApiExample(
                "Stale version",
                value=_error(
                    "concurrent_modification",
                    "Someone else changed this record meanwhile. Reload it and try again.",
                    extra={"current_version": 4},
                ),
            ),
            OpenApiExample(
                "No longer editable",
                value=_error(
                    "order_not_editable",
                    "Order SO-2026-000042 can no longer be changed: it is “Approved”.",
                    extra={"order": "SO-2026-000042", "status": "approved"},
                ),
            ),
            OpenApiExample(
                "Same key still running",
                value=_error(
                    "idempotency_request_in_progress",
                    "A request with this Idempotency-Key is still being processed. Retry shortly.",
                ),
            ),
        ],
    ),
    411: (
        "The body was sent without a Content-Length (e.g. `Transfer-Encoding: chunked`); send it with one.",
        [
            OpenApiExample(
                "Chunked body",
                value=_error(
                    "length_required",
                    "Send the request body with a Content-Length header; chunked bodies are not accepted.",
                ),
            ),
        ],
    ),
    413: (
        "The body is larger than the server's limit (API_MAX_BODY_BYTES, 1 MiB by default).",
        [
            OpenApiExample("Too large", value=_error("request_too_large", "The request body is too large.")),
        ],
    ),
    415: (
        "Send `Content-Type: application/json`.",
        [
            OpenApiExample(
                "Wrong content type",
                value=_error("unsupported_media_type", 'Unsupported media type "text/plain" in request.'),
            ),
        ],
    ),
    422: (
        "The Idempotency-Key was already used for a different request.",
        [
            OpenApiExample(
                "Key reused",
                value=_error(
                    "idempotency_key_mismatch",
                    "This Idempotency-Key was already used for a different request. Use a new key.",
                ),
            ),
        ],
    ),
    429: (
        "Too many requests for this token; wait the number of seconds in the Retry-After header.",
        [
            OpenApiExample(
                "Throttled",
                value=_error(
                    "throttled",
                    "Request was throttled. Expected available in 12 seconds.",
                    extra={"retry_after": 12},
                ),
            ),
        ],
    ),
}

READ = (400, 401, 403, 429)
WRITE = (400, 401, 403, 411, 413, 415, 429)


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """Documented error responses for `statuses`, each with the envelope schema and examples."""
    return {
        code: OpenApiResponse(response=ErrorSerializer, description=ERRORS[code][0], examples=ERRORS[code][1])
        for code in statuses
    }


IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name="Idempotency-Key",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Makes retries safe: a retry with the same key and body returns the original response "
    "(header `Idempotent-Replayed: true`) without writing again; the same key with a different "
    "body is refused with 422. Keys are scoped to your dealer account and kept at least 24 h. "
    "Up to 255 printable ASCII characters; a UUID is a good choice.",
)
