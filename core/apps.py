from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext_lazy as _

from core.sessions import session_stamp_login


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self):
        # The session timeout's clocks start at every sign-in, whichever login view did it.
        user_logged_in.connect(session_stamp_login, dispatch_uid="core.sessions.stamp_login")
