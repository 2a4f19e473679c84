"""`Authorization: Device <token>`: a shop-floor terminal, not a user (production.services.devices).

The shop-floor endpoints accept this scheme only: no session, no dealer token. The terminal is
`request.auth`; `request.user` stays anonymous, so nothing a user may do is open to a device.
"""

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.permissions import BasePermission

from production.models import ShopFloorDevice
from production.services.devices import device_authenticate

KEYWORD = "device"
# The `code` of a 401 for a token that is unknown, malformed or revoked (docs/shop-floor-api.md).
DEVICE_TOKEN_INVALID = "device_token_invalid"


class DeviceAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header:
            return None
        if header[0].decode("latin-1").lower() != KEYWORD:
            # Another scheme (a dealer's Token, Basic…) is not a terminal's: refused, not ignored.
            raise exceptions.AuthenticationFailed(
                _("Shop-floor endpoints take a device token: Authorization: Device <token>."),
                code=DEVICE_TOKEN_INVALID,
            )
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Invalid device token header."), code=DEVICE_TOKEN_INVALID
            )
        try:
            token = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(
                _("Invalid device token header."), code=DEVICE_TOKEN_INVALID
            )
        device = device_authenticate(token=token)
        if device is None:
            raise exceptions.AuthenticationFailed(
                _("Unknown or revoked device token. Ask the production scheduler for a new one."),
                code=DEVICE_TOKEN_INVALID,
            )
        return AnonymousUser(), device

    def authenticate_header(self, request):
        return "Device"


class IsDevice(BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.auth, ShopFloorDevice)
