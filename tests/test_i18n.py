"""Every user-facing string ships in Simplified Chinese, and the compiled catalog matches the .po."""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from orders.states import OrderStatus

PO = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _entries():
    """(msgctxt, msgid, msgid_plural, msgstr) for each entry of the .po (a small reader, no fuzzy)."""
    entry, key, out = {}, None, []

    def flush():
        if entry.get("msgid"):
            out.append(
                (
                    entry.get("msgctxt"),
                    entry["msgid"],
                    entry.get("msgid_plural"),
                    entry.get("msgstr", entry.get("msgstr[0]", "")),
                    entry.get("fuzzy", False),
                )
            )

    for line in PO.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            flush()
            entry, key = {}, None
        elif line.startswith("#,") and "fuzzy" in line:
            entry["fuzzy"] = True
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[key] += ast.literal_eval(line)
        else:
            key, _, value = line.partition(" ")
            entry[key] = ast.literal_eval(value)
    return out


ENTRIES = _entries()


def test_the_catalog_is_not_empty():
    assert len(ENTRIES) > 500


def test_no_entry_is_untranslated_or_fuzzy():
    missing = [msgid for _ctx, msgid, _pl, msgstr, fuzzy in ENTRIES if not msgstr or fuzzy]
    assert missing == []


@pytest.mark.parametrize("lang", ["zh-hans"])
def test_the_compiled_catalog_matches_the_po(lang):
    with translation.override(lang):
        stale = []
        for ctx, msgid, plural, msgstr, _fuzzy in ENTRIES:
            if plural:
                got = (
                    translation.npgettext(ctx, msgid, plural, 1)
                    if ctx
                    else translation.ngettext(msgid, plural, 1)
                )
            else:
                got = translation.pgettext(ctx, msgid) if ctx else translation.gettext(msgid)
            if got != msgstr:
                stale.append(msgid)
    assert stale == [], "run `make messages` (compilemessages) after editing the .po"


def test_order_statuses_read_in_chinese():
    with translation.override("zh-hans"):
        labels = {str(status.label) for status in OrderStatus}
    assert "暂挂" in labels
    assert "待发货" in labels
    assert all(not label.isascii() for label in labels)
