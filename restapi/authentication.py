import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from restapi.models import ApiToken
from restapi.selectors import api_token_read
from restapi.services import api_token_touch

# The `code` of each 401 in the error envelope (docs/dealer-api.md, "Token expiry and revocation").
TOKEN_INVALID = "authentication_failed"
TOKEN_REVOKED = "token_revoked"
TOKEN_EXPIRED = "token_expired"


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <key>` or `Authorization: Bearer <key>`; keys are stored hashed.

    A view may read the token itself, e.g. together with what it needs of the user in the same query:
    `view.read_api_token(digest)` returns the token with that digest, revoked or expired ones too
    (user attached), or None (DealerApiMixin does). Revocation and expiry are judged here on that row,
    so they cost no query; the last use is written at most once per
    settings.API_TOKEN_LAST_USED_INTERVAL_SECONDS (one UPDATE, skipped otherwise).
    """

    keywords = ("token", "bearer")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode("latin-1").lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header."))
        try:
            key = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token header."))
        view = (getattr(request, "parser_context", None) or {}).get("view")
        digest = ApiToken.hash_key(key)
        read = getattr(view, "read_api_token", None)
        token = read(digest) if read is not None else api_token_read(digest=digest)
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid token."), code=TOKEN_INVALID)
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(
                _("This token was revoked. Create a new one on the portal's API tokens page."),
                code=TOKEN_REVOKED,
            )
        now = timezone.now()
        if token.is_expired(now):
            raise exceptions.AuthenticationFailed(
                _("This token expired on %(date)s. Create a new one on the portal's API tokens page.")
                % {"date": timezone.localtime(token.valid_until).isoformat(timespec="seconds")},
                code=TOKEN_EXPIRED,
            )
        interval = dt.timedelta(seconds=settings.API_TOKEN_LAST_USED_INTERVAL_SECONDS)
        if token.last_used_at is None or now - token.last_used_at >= interval:
            api_token_touch(token_id=token.pk, now=now)
            token.last_used_at = now
        request.api_token = token
        return token.user, token

    def authenticate_header(self, request):
        return "Token"
