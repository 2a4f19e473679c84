"""No response with personal or business data may be kept by a browser or a proxy (ASVS 8.2.1).

Every response the application renders — API, portal, admin, login and error pages — is sent with
`Cache-Control: private, no-store` unless its view chose its own caching (Django's `never_cache`
on the admin and login pages, the `no-store` pages that show a secret once). Static files are
served by whitenoise before this middleware runs and keep whitenoise's caching; the path check
below keeps it that way wherever static files are served through Django instead.
"""

from django.conf import settings

NO_STORE = "private, no-store"


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.static_prefix = settings.STATIC_URL or None

    def __call__(self, request):
        response = self.get_response(request)
        if "Cache-Control" not in response and not (
            self.static_prefix and request.path.startswith(self.static_prefix)
        ):
            response["Cache-Control"] = NO_STORE
        return response
