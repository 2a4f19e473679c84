"""The expiry choice shared by the token forms of the admin and the portal."""

import datetime as dt

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, ngettext

EXPIRY_DAYS = (7, 30, 90, 180, 365)
DEFAULT_EXPIRY_DAYS = 90
NEVER = 0


def _choices() -> list[tuple[int, str]]:
    max_age = settings.API_TOKEN_MAX_AGE_DAYS
    days = [d for d in EXPIRY_DAYS if max_age <= 0 or d <= max_age]
    if max_age > 0 and max_age not in days:
        days.append(max_age)
    choices = [(d, ngettext("%(count)d day", "%(count)d days", d) % {"count": d}) for d in sorted(days)]
    if max_age <= 0:
        choices.append((NEVER, gettext("Never (until revoked)")))
    return choices


def expiry_field() -> forms.TypedChoiceField:
    """A choice of how long a new token works, within settings.API_TOKEN_MAX_AGE_DAYS."""
    choices = _choices()
    values = [value for value, _label in choices]
    default = DEFAULT_EXPIRY_DAYS if DEFAULT_EXPIRY_DAYS in values else values[-1]
    return forms.TypedChoiceField(
        label=gettext_lazy("Expires after"),
        choices=choices,
        coerce=int,
        # Left out of a post (an older form): the default, never "never".
        required=False,
        empty_value=default,
        initial=default,
        help_text=gettext_lazy("The token stops working then; create a new one before it does."),
    )


def expires_at_for(days: int) -> dt.datetime | None:
    """The expiry `days` from now; None for NEVER."""
    return timezone.now() + dt.timedelta(days=days) if days != NEVER else None
