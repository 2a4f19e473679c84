"""`manage.py committed_demand_check [--repair]`: compare each product's committed demand with its
lines; exit 1 on any drift, or recount everything with --repair."""

import sys

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from orders.selectors import committed_demand_drift
from orders.services.commitments import committed_demand_rebuild


class Command(BaseCommand):
    help = (
        "Compare each product's committed demand (its ledger) with what its open order lines count; "
        "print drift and exit 1 if any, or recount it from the lines with --repair."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true", help="Recount the ledger from the order lines.")

    def handle(self, *args, repair=False, **options):
        drift = committed_demand_drift()
        for product_id, (ledger, recorded, expected) in sorted(drift.items()):
            self.stdout.write(
                _(
                    "product %(product)d: ledger %(ledger)d, lines record %(recorded)d,"
                    " lines count %(expected)d"
                )
                % {"product": product_id, "ledger": ledger, "recorded": recorded, "expected": expected}
            )
        if drift and repair:
            changed = committed_demand_rebuild()
            self.stdout.write(
                _("Committed demand recounted: %(count)d line(s) corrected.") % {"count": changed}
            )
            return
        if drift:
            self.stderr.write(
                _("%(count)d product(s) with committed demand that does not add up.") % {"count": len(drift)}
            )
            sys.exit(1)
        self.stdout.write(_("Committed demand adds up."))
