"""`manage.py stock_check`: recompute every stock balance from the ledger; exit 1 on any drift."""

import sys

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from inventory.selectors import stock_drift


class Command(BaseCommand):
    help = "Compare each stock balance with the sum of its movements; print drift and exit 1 if any."

    def handle(self, *args, **options):
        drift = stock_drift()
        for row in drift:
            self.stdout.write(
                _(
                    "product %(product)d warehouse %(warehouse)d: on hand %(on_hand)d"
                    " (ledger %(ledger_on_hand)d), reserved %(reserved)d (ledger %(ledger_reserved)d)"
                )
                % {
                    "product": row.product_id,
                    "warehouse": row.warehouse_id,
                    "on_hand": row.on_hand,
                    "ledger_on_hand": row.ledger_on_hand,
                    "reserved": row.reserved,
                    "ledger_reserved": row.ledger_reserved,
                }
            )
        if drift:
            self.stderr.write(_("%(count)d stock balance(s) differ from the ledger.") % {"count": len(drift)})
            sys.exit(1)
        self.stdout.write(_("Stock balances equal the ledger."))
