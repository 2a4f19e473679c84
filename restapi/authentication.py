from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from restapi.models import ApiToken
from restapi.selectors import api_token_read
from restapi.services import api_token_touch


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <key>` or `Authorization: Bearer <key>`; keys are stored hashed.

    A view may read the token itself, e.g. together with what it needs of the user in the same query:
    `view.read_api_token(digest)` returns the live token (user attached) or None (DealerApiMixin does).
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
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            # bounded write rate: at most one update a minute per token
            api_token_touch(token_id=token.pk, now=now)
        request.api_token = token
        return token.user, token

    def authenticate_header(self, request):
        return "Token"
