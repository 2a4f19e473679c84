"""OpenAPI for the shop-floor endpoints: the device token scheme (registered on import)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample

from restapi.schema import error_example


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    target_class = "production.api.authentication.DeviceAuthentication"
    name = "deviceAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Authorization: Device <token>`: a shop-floor terminal's token (`sfd_…`), made "
            "by the production scheduler in the admin (Shop-floor devices) and shown once. A "
            "terminal reports its own plant's work orders only. An unknown or revoked token gets "
            "401 `device_token_invalid`. See docs/shop-floor-api.md.",
        }


DEVICE_401 = [
    OpenApiExample(
        "No credentials",
        value=error_example("not_authenticated", "Authentication credentials were not provided."),
    ),
    OpenApiExample(
        "Unknown or revoked token",
        value=error_example(
            "device_token_invalid",
            "Unknown or revoked device token. Ask the production scheduler for a new one.",
        ),
    ),
]
