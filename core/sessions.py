"""Browser sessions end after a spell of inactivity and, at the latest, a fixed time after sign-in.

ASVS 3.3.2 (level 2): re-authenticate after `SESSION_IDLE_TIMEOUT_SECONDS` without a request, and
at the latest `SESSION_ABSOLUTE_MAX_SECONDS` after signing in, however active the user is. The
sign-in time is stamped into the session when Django logs the user in (the `user_logged_in`
signal, connected in core.apps), and the time of the last request at most once a minute, so an
active user costs one session write a minute rather than one a request. Each such write also moves
the session's database expiry and the cookie's max-age on (SESSION_COOKIE_AGE is the idle
timeout), so an abandoned session expires in the database too and the purge
(`core.services.session_clear_expired`) removes it.

A session that times out is logged out the way the sign-out button does it (the row is deleted and
the cookie cleared); the request goes on as anonymous, so a portal page sends the user to the login
page and the API answers 401.
"""

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout

LOGIN_AT = "_oms_login_at"
SEEN_AT = "_oms_seen_at"
# How stale the last-seen stamp may get before a request rewrites it: the idle timeout is exact to this.
TOUCH_EVERY_SECONDS = 60


def _now() -> int:
    return int(time.time())


def session_stamp_login(sender, request, user, **kwargs) -> None:
    """`user_logged_in` receiver: the absolute and the idle clock both start at sign-in."""
    session = getattr(request, "session", None)
    if session is not None:
        now = _now()
        session[LOGIN_AT] = now
        session[SEEN_AT] = now


class SessionTimeoutMiddleware:
    """Log out a session that has been idle too long or is older than the absolute maximum.

    Must come after AuthenticationMiddleware. Requests without a signed-in session (API keys,
    anonymous visitors) are passed through without touching the session store.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if SESSION_KEY in session:
            now = _now()
            login_at = session.get(LOGIN_AT)
            seen_at = session.get(SEEN_AT)
            if login_at is None or seen_at is None:
                # Signed in before the timeout existed: its clocks start now.
                session[LOGIN_AT] = login_at = now
                session[SEEN_AT] = seen_at = now
            if (
                now - seen_at > settings.SESSION_IDLE_TIMEOUT_SECONDS
                or now - login_at > settings.SESSION_ABSOLUTE_MAX_SECONDS
            ):
                logout(request)
            elif now - seen_at >= TOUCH_EVERY_SECONDS:
                session[SEEN_AT] = now
        return self.get_response(request)
