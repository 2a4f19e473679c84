"""An order's timeline entries in words, in the reader's language (the admin, the portal, the dealer API).

A change (`order.updated`, written by orders.services.changes) stores a diff —
{"header": [{field, from, to}], "lines": [{line, sku, change, from, to}]} — and is told here one
sentence per difference: "Quantity of TRK-001 changed from 2 to 3 by Li Wei." Entries written before
the diff existed name only the changed fields (`data.fields`) and are told as such. Who acted is
named as the viewer may know them (orders.selectors.order_event_list_for_user's `actor_name`; the
admin shows staff by name). Pure functions: no queries.
"""

import datetime as dt

from django.core.exceptions import FieldDoesNotExist
from django.utils.formats import date_format
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm.roles import role_label
from orders.models import Order
from orders.states import OrderEventKind

_MISSING = object()
ADDRESS_PARTS = ("recipient", "region", "city", "district", "line1")


def actor_label(event) -> str | None:
    """Who acted on `event`, as the viewer may know them: the selector's `actor_name` when it was
    annotated (portal, dealer API), else the user's full name or username (the admin); None: the system."""
    name = getattr(event, "actor_name", _MISSING)
    if name is not _MISSING:
        return name
    actor = event.actor if event.actor_id else None
    if actor is None:
        return None
    return actor.get_full_name() or actor.get_username()


def _field_label(name: str) -> str:
    if name == "lines":
        return _("lines")
    try:
        return str(capfirst(Order._meta.get_field(name).verbose_name))
    except FieldDoesNotExist:
        return name


def _options(options) -> str:
    if not options:
        return _("none")
    return ", ".join(f"{code}={value}" for code, value in sorted(options.items()))


def _shown(name: str, value, entry: dict) -> str:
    if name == "shipping_address" and isinstance(value, dict):
        return ", ".join(str(value[part]) for part in ADDRESS_PARTS if value.get(part))
    if name == "total" and entry.get("currency"):
        return f"{value} {entry['currency']}"
    return Truncator(str(value)).chars(80)


def _blank(value) -> bool:
    return value in (None, "", {})


def _header_sentence(entry: dict, actor: str | None) -> str:
    name = entry.get("field", "")
    label = _field_label(name)
    before, after = entry.get("from"), entry.get("to")
    values = {"field": label, "from": _shown(name, before, entry), "to": _shown(name, after, entry)}
    if name in ("total", "promised_delivery_date"):
        # Worked out again by the system from what the person changed: nobody set them by hand.
        if _blank(before):
            return _("%(field)s is now %(to)s.") % values
        return _("%(field)s changed from %(from)s to %(to)s.") % values
    if _blank(before):
        if actor:
            return _("%(field)s set to %(to)s by %(actor)s.") % {**values, "actor": actor}
        return _("%(field)s set to %(to)s.") % values
    if _blank(after):
        if actor:
            return _("%(field)s cleared by %(actor)s.") % {**values, "actor": actor}
        return _("%(field)s cleared.") % values
    if actor:
        return _("%(field)s changed from %(from)s to %(to)s by %(actor)s.") % {**values, "actor": actor}
    return _("%(field)s changed from %(from)s to %(to)s.") % values


def _line_sentence(entry: dict, actor: str | None) -> str:
    change = entry.get("change")
    values = {"sku": entry.get("sku", ""), "from": entry.get("from"), "to": entry.get("to"), "actor": actor}
    if change == "added":
        if entry.get("options"):
            values["sku"] = f"{values['sku']} ({_options(entry['options'])})"
        if actor:
            return _("%(sku)s added, quantity %(to)s, by %(actor)s.") % values
        return _("%(sku)s added, quantity %(to)s.") % values
    if change == "removed":
        if actor:
            return _("%(sku)s removed (quantity %(from)s) by %(actor)s.") % values
        return _("%(sku)s removed (quantity %(from)s).") % values
    if change == "quantity":
        if actor:
            return _("Quantity of %(sku)s changed from %(from)s to %(to)s by %(actor)s.") % values
        return _("Quantity of %(sku)s changed from %(from)s to %(to)s.") % values
    if change == "options":
        values.update({"from": _options(values["from"]), "to": _options(values["to"])})
        if actor:
            return _("Options of %(sku)s changed from %(from)s to %(to)s by %(actor)s.") % values
        return _("Options of %(sku)s changed from %(from)s to %(to)s.") % values
    if change == "price":
        # Priced again because its quantity or options changed: the price list decided, not a person.
        return _("Unit price of %(sku)s changed from %(from)s to %(to)s.") % values
    return f"{values['sku']}: {change}"


def change_sentences(data: dict, *, actor: str | None) -> list[str]:
    """A change's diff (an `order.updated` entry's data) in words, one sentence per difference."""
    if "header" not in data and "lines" not in data:
        fields = ", ".join(_field_label(name) for name in data.get("fields", ()))
        if not fields:
            return []
        if actor:
            return [_("Changed by %(actor)s: %(fields)s.") % {"actor": actor, "fields": fields}]
        return [_("Changed: %(fields)s.") % {"fields": fields}]
    sentences = [_line_sentence(entry, actor) for entry in data.get("lines", ())]
    sentences += [_header_sentence(entry, actor) for entry in data.get("header", ())]
    released = data.get("stock_released")
    if released:
        sentences.append(
            ngettext(
                "%(count)d reserved unit went back to stock.",
                "%(count)d reserved units went back to stock.",
                released,
            )
            % {"count": released}
        )
    return sentences


def _steps_text(waiting: list) -> str:
    return ", ".join(
        _("%(role)s (level %(level)d)")
        % {"role": role_label(step.get("role", "")), "level": step.get("level", 0)}
        for step in waiting
        if isinstance(step, dict)
    )


def review_sentences(kind: str, data: dict) -> list[str]:
    """The review's own entries (orders.services.review), told from their data: the rules checked and
    matched, who is waited for, why the system approved. Rule names are the sales director's words."""
    if kind == OrderEventKind.REVIEW_RULES_CHECKED:
        checked = ", ".join(data.get("checked") or ()) or _("none")
        matched = [m for m in data.get("matched") or () if isinstance(m, dict)]
        if matched:
            sentences = [
                _("Matched: %(matched)s. Rules checked: %(checked)s.")
                % {
                    "matched": "; ".join(
                        _("%(rule)s → %(role)s (level %(level)d)")
                        % {
                            "rule": m.get("rule", ""),
                            "role": role_label(m.get("role", "")),
                            "level": m.get("level", 0),
                        }
                        for m in matched
                    ),
                    "checked": checked,
                }
            ]
        else:
            sentences = [_("No review rule matched. Rules checked: %(checked)s.") % {"checked": checked}]
        if data.get("rerun"):
            new = data.get("new") or ()
            sentences.append(
                _("New: %(rules)s.") % {"rules": ", ".join(new)} if new else _("Nothing new to approve.")
            )
        return sentences
    waiting = data.get("waiting")
    if isinstance(waiting, list) and waiting:
        steps = _steps_text(waiting)
        if kind == OrderEventKind.REVIEW_REOPENED:
            return [_("Changed after approval; waiting for approval by: %(steps)s.") % {"steps": steps}]
        return [_("Waiting for approval by: %(steps)s.") % {"steps": steps}]
    if kind == OrderEventKind.APPROVED and data.get("automatic") == "no_rule":
        return [_("Approved automatically: no review rule matched.")]
    if kind == OrderEventKind.APPROVED and data.get("automatic") == "nothing_left":
        return [_("Approved automatically: after the change no approval is left to wait for.")]
    return []


def _date(value) -> str:
    if not value:
        return "—"
    try:
        return date_format(dt.date.fromisoformat(str(value)), "SHORT_DATE_FORMAT")
    except ValueError:
        return str(value)


def production_sentences(kind: str, data: dict) -> list[str]:
    """What production reported about a built line (orders.services.production), in the reader's words.

    Stage and plant names are the production scheduler's master data, shown as written."""
    line = _("Line %(position)s (%(sku)s)") % {
        "position": data.get("position", "?"),
        "sku": data.get("sku", ""),
    }
    if kind == OrderEventKind.ETA_CHANGED:
        return [
            _("%(line)s: estimated ready date %(old)s → %(new)s (promised %(promised)s).")
            % {
                "line": line,
                "old": _date(data.get("previous_eta")),
                "new": _date(data.get("eta")),
                "promised": _date(data.get("promised_date")),
            }
        ]
    event, stage = data.get("event"), data.get("stage", "")
    if event == "scheduled":
        return [
            _("%(line)s: work order %(work_order)s scheduled at %(plant)s, ready by %(date)s.")
            % {
                "line": line,
                "work_order": data.get("work_order", ""),
                "plant": data.get("plant", ""),
                "date": _date(data.get("date")),
            }
        ]
    if event == "stage_started":
        return [_("%(line)s: %(stage)s started.") % {"line": line, "stage": stage}]
    if event == "stage_finished":
        return [_("%(line)s: %(stage)s finished.") % {"line": line, "stage": stage}]
    if event == "completed":
        return [
            _("%(line)s: %(quantity)s built (batch %(batch)s) and reserved for this order.")
            % {"line": line, "quantity": data.get("quantity", ""), "batch": data.get("batch", "")}
        ]
    if event == "delayed":
        return [
            _("%(line)s: production is running late; now expected %(date)s.")
            % {"line": line, "date": _date(data.get("date"))}
        ]
    if event == "cancelled":
        return [
            _("%(line)s: work order %(work_order)s cancelled.")
            % {"line": line, "work_order": data.get("work_order", "")}
        ]
    return []


def event_sentences(event) -> list[str]:
    """What a timeline entry says beyond its kind and note, in words (empty for most kinds)."""
    if not isinstance(event.data, dict):
        return []
    if event.kind == OrderEventKind.UPDATED:
        return change_sentences(event.data, actor=actor_label(event))
    if event.kind in (OrderEventKind.PRODUCTION_PROGRESS, OrderEventKind.ETA_CHANGED):
        return production_sentences(event.kind, event.data)
    if event.note:
        # Entries written before the review told itself from its data carry their words as the note.
        return []
    return review_sentences(event.kind, event.data)
