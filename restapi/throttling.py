from array import array

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

    def throttle_success(self):
        # DRF keeps the user's request times in the cache as one list, read and written whole on every
        # request: at high rates that is thousands of pickled floats each way. An array of doubles does
        # everything DRF asks of the history (insert, pop, [-1], len) and pickles as one block of bytes;
        # a list cached by an older process is still read as before.
        self.history.insert(0, self.now)
        self.cache.set(self.key, array("d", self.history), self.duration)
        return True

    def wait(self):
        # DRF omits Retry-After when the wait is None or rounds to 0; a throttled client must
        # always be told when to come back.
        wait = super().wait()
        return max(1.0, wait or 1.0)
