from django.utils.translation import gettext_lazy as _

from core.errors import Conflict


class DeliveryInProgress(Conflict):
    code = "webhook_delivery_in_progress"
    default_message = _("This delivery is being sent right now. Try again in a minute.")


class EndpointDisabled(Conflict):
    code = "webhook_endpoint_disabled"
    default_message = _("The endpoint is disabled. Enable it before replaying its deliveries.")
