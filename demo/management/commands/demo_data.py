import argparse

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from demo import data
from demo.services import demo_logins, demo_seed
from orders.states import OrderStatus


class Command(BaseCommand):
    help = _("Load a believable demo business (idempotent) and print the demo logins.")

    def add_arguments(self, parser):
        parser.add_argument(
            "--size",
            choices=sorted(data.SIZES),
            default="small",
            help=_("small: about 150 orders; large: about 5,000."),
        )
        parser.add_argument(
            "--print-logins", action="store_true", help=_("Only print the demo logins; write nothing.")
        )
        parser.add_argument(
            "--base-url", default="http://127.0.0.1:8000", help=_("Where the site runs, for the login table.")
        )
        # Tests use a handful of orders to stay fast.
        parser.add_argument("--orders", type=int, default=None, help=argparse.SUPPRESS)

    def handle(self, *args, size: str, print_logins: bool, base_url: str, orders: int | None, **options):
        if not settings.DEBUG:
            # The demo business comes with an `admin` superuser and a password printed in the README;
            # a system running with DEBUG off may be a real one.
            raise CommandError(
                _(
                    "Demo data is for trials only and DEBUG is off. "
                    "Run it with DEBUG=1 on a throwaway database (`make run` does)."
                )
            )
        if print_logins:
            self.print_logins(base_url)
            return
        total = data.SIZES[size] if orders is None else orders
        self.stdout.write(
            _("Loading demo data (%(size)s, %(count)d orders)…") % {"size": size, "count": total}
        )
        result = demo_seed(size=size, orders=orders, progress=self.progress)
        self.stdout.write("")
        self.stdout.write(f"  {_('Data'):<28}{_('created'):>10}{_('existing'):>10}")
        for model, (created, existing) in result.tally.counts.items():
            label = str(model._meta.verbose_name_plural)
            self.stdout.write(f"  {label[:1].upper() + label[1:]:<28}{created:>10}{existing:>10}")
        by_status = ", ".join(
            f"{OrderStatus(s).label} {result.orders_by_status[s]}"
            for s in OrderStatus.values
            if result.orders_by_status[s]
        )
        self.stdout.write(_("Demo orders by status: %(list)s") % {"list": by_status})
        for problem in result.problems:
            self.stderr.write(_("Stopped early: %(problem)s") % {"problem": problem})
        self.stdout.write("")
        self.print_logins(base_url)

    def progress(self, done: int, total: int) -> None:
        self.stdout.write(_("  … %(done)d of %(total)d orders") % {"done": done, "total": total})

    def print_logins(self, base_url: str) -> None:
        logins = demo_logins(base_url=base_url)
        self.stdout.write(
            _("Demo logins (one shared password for the trial: %(password)s)")
            % {"password": data.DEMO_PASSWORD}
        )
        self.stdout.write(f"  {_('Role'):<28}{_('Username'):<16}{_('Password'):<12}{_('URL')}")
        for login in logins:
            line = f"  {login.role:<28}{login.username:<16}{login.password:<12}{login.url}"
            if login.acts_for:
                line += "  " + _("(acts for %(customers)s)") % {"customers": login.acts_for}
            if not login.exists:
                line += "  " + _("[not created yet]")
            self.stdout.write(line)
        missing = [login.username for login in logins if not login.exists]
        if missing:
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "%(count)d demo users do not exist yet; "
                        "run `python manage.py demo_data` to create them."
                    )
                    % {"count": len(missing)}
                )
            )
