"""Production: everything from the environment, secure by default. `check --deploy` is clean."""

from .base import *  # noqa: F403
from .base import INSTALLED_APPS as _BASE_APPS
from .base import REST_FRAMEWORK as _BASE_REST_FRAMEWORK
from .base import env, env_bool

# The demo app creates an `admin` superuser with a published password: never part of production.
INSTALLED_APPS = [app for app in _BASE_APPS if app != "demo"]

DEBUG = False
SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    raise RuntimeError("SECRET_KEY must be set in production")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
# Secure cookies are the default; only a local plain-HTTP run (docker-compose.yml) turns them off.
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Base derives this from DEBUG; production never inherits it by accident.
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)
# Base offers DRF's browsable HTML API when DEBUG is on in the environment; production never does.
REST_FRAMEWORK = {
    **_BASE_REST_FRAMEWORK,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
