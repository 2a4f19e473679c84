from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext_lazy as _

from core.sessions import session_stamp_login


def enqueue_notification_send(
    name: str, *, event_id: str, keys=(), key: str | None = None, **payload
) -> None:
    """Notices were written: queue their e-mails (core.notifications), nothing else. (`key`: events
    written before notices were announced in batches.)"""
    from core.tasks import notification_send_task  # noqa: PLC0415  (tasks import the app's models)

    notification_send_task.delay(keys=[key] if key else list(keys), event_id=event_id)


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self):
        # The session timeout's clocks start at every sign-in, whichever login view did it.
        user_logged_in.connect(session_stamp_login, dispatch_uid="core.sessions.stamp_login")
        from core import events  # noqa: PLC0415  (models must be loaded)
        from core.notifications import NOTIFICATION_CREATED  # noqa: PLC0415

        events.subscribe(NOTIFICATION_CREATED, enqueue_notification_send)
