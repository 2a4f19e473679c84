from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RestApiConfig(AppConfig):
    """The dealer API platform: tokens, idempotency, the error format, throttles, parsers and schema."""

    name = "restapi"
    verbose_name = _("Dealer API")
