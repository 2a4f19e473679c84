from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext as _

from crm.services import roles_sync


class Command(BaseCommand):
    help = _("Give the role groups the permissions listed in crm/roles.py (idempotent).")

    def add_arguments(self, parser):
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help=_("The database to sync."))
        parser.add_argument(
            "--prune",
            action="store_true",
            help=_("Also withdraw the permissions a role group holds beyond crm/roles.py."),
        )

    def handle(self, *args, database: str, prune: bool = False, verbosity: int = 1, **options):
        changes = roles_sync(using=database, prune=prune)
        for name, (granted, withdrawn) in changes.items():
            if verbosity >= 2 or (verbosity >= 1 and (granted or withdrawn)):
                self.stdout.write(
                    _("Role %(name)s: %(granted)d permissions granted, %(withdrawn)d withdrawn.")
                    % {"name": name, "granted": granted, "withdrawn": withdrawn}
                )
