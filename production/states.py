from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkOrderStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DELAYED = "delayed", _("Delayed")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


W = WorkOrderStatus
ALLOWED = {
    W.PLANNED: {W.IN_PROGRESS, W.CANCELLED},
    W.IN_PROGRESS: {W.DELAYED, W.DONE, W.CANCELLED},
    W.DELAYED: {W.IN_PROGRESS, W.DONE, W.CANCELLED},
    W.DONE: set(),
    W.CANCELLED: set(),
}
