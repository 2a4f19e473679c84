import math

from rest_framework.throttling import SimpleRateThrottle


class TokenRateThrottle(SimpleRateThrottle):
    """Rate limit per user (all of a user's tokens and sessions share it; per IP when anonymous).

    Keyed on the user, not the token, so that minting more tokens does not buy more rate.

    A window counter, not DRF's request history: a window of the rate's duration opens with a user's
    first request, counts every request in it, and closes after the duration; a request beyond the
    rate's number is refused (429) with Retry-After = the seconds until the window closes. On Redis
    that is one round trip of a few bytes (config.cache.RedisCache.count_hit), where DRF reads and
    writes the user's whole history, one timestamp per request of the last minute, on every request.
    A client keeping to the rate is never refused; one bursting at a window's end and the next
    window's start can get up to twice the rate through within one duration.
    """

    scope = "token"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            ident = f"u{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": f"{ident}:w"}

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        counted = self._count_hit()
        if counted is None:  # the cache is unavailable: fail open (config.cache)
            return True
        hits, self.seconds_left = counted
        return hits <= self.num_requests

    def _count_hit(self) -> tuple[int, float] | None:
        count_hit = getattr(self.cache, "count_hit", None)
        if count_hit is not None:
            return count_hit(self.key, self.duration)
        # Any other cache (local memory in development and tests): the same window, less precisely timed.
        self.cache.add(self.key, 0, self.duration)
        try:
            return self.cache.incr(self.key), float(self.duration)
        except ValueError:  # expired between the two calls: this hit opens the next window
            self.cache.add(self.key, 1, self.duration)
            return 1, float(self.duration)

    def wait(self):
        # A throttled client must always be told when to come back, in whole seconds, at least 1.
        return max(1, math.ceil(self.seconds_left))
