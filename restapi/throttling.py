from rest_framework.throttling import SimpleRateThrottle


class TokenRateThrottle(SimpleRateThrottle):
    """Rate limit per user (all of a user's tokens and sessions share it; per IP when anonymous).

    Keyed on the user, not the token, so that minting more tokens does not buy more rate.
    """

    scope = "token"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            ident = f"u{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def wait(self):
        # DRF omits Retry-After when the wait is None or rounds to 0; a throttled client must
        # always be told when to come back.
        wait = super().wait()
        return max(1.0, wait or 1.0)
