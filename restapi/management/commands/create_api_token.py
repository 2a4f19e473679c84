"""`manage.py create_api_token <username> [--name NAME] [--expires-in-days N]`: create an API token
and print its key once."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from core.admin_mixins import domain_error_text
from core.errors import DomainError
from restapi.selectors import api_token_user_may_use_api
from restapi.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token for a user and print the key. The key is shown only this once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--name", default="", help="A label for the token, e.g. the integration using it."
        )
        parser.add_argument(
            "--expires-in-days",
            type=int,
            default=None,
            help="Days until the token stops working (default and maximum: API_TOKEN_MAX_AGE_DAYS; "
            "without a maximum, never).",
        )

    def handle(self, *args, username: str, name: str, expires_in_days: int | None, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("No user named “%(username)s”.") % {"username": username})
        if not user.is_active:
            raise CommandError(_("User “%(username)s” is inactive.") % {"username": username})
        if not api_token_user_may_use_api(user=user):
            raise CommandError(
                _(
                    "User “%(username)s” acts for no active customer, so the dealer API would refuse "
                    "every request made with this token (403). Link the user to a dealer customer first."
                )
                % {"username": username}
            )
        if expires_in_days is not None and expires_in_days < 1:
            raise CommandError(_("--expires-in-days must be at least 1."))
        expires_at = timezone.now() + dt.timedelta(days=expires_in_days) if expires_in_days else None
        try:
            token, key = api_token_create(user=user, name=name[:100], expires_at=expires_at)
        except DomainError as exc:
            raise CommandError(domain_error_text(exc))
        self.stdout.write(key)
        valid_until = token.valid_until
        self.stderr.write(
            _(
                "Token created for %(username)s, valid until %(until)s. "
                "Store the key now: it cannot be shown again."
            )
            % {
                "username": username,
                "until": valid_until.isoformat(timespec="minutes") if valid_until else _("it is revoked"),
            }
        )
