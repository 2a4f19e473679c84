"""`manage.py create_api_token <username> [--name NAME]`: create an API token and print its key once."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from restapi.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token for a user and print the key. The key is shown only this once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--name", default="", help="A label for the token, e.g. the integration using it."
        )

    def handle(self, *args, username: str, name: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("No user named “%(username)s”.") % {"username": username})
        if not user.is_active:
            raise CommandError(_("User “%(username)s” is inactive.") % {"username": username})
        _token, key = api_token_create(user=user, name=name[:100])
        self.stdout.write(key)
        self.stderr.write(
            _("Token created for %(username)s. Store the key now: it cannot be shown again.")
            % {"username": username}
        )
