"""A work order's timeline entries in words, in the reader's language (the admin's work order page).

Each service stores what it did as data (production.services.*); this tells it. Stage, line and plant
names are the production scheduler's master data, shown as written. Pure functions: no queries.
"""

import datetime as dt

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from production.states import WorkOrderEventKind as K


def _when(value) -> str:
    """A stored ISO moment or date, shown in the site's time zone."""
    if not value:
        return "—"
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if len(str(value)) <= 10:
        return date_format(moment.date(), "SHORT_DATE_FORMAT")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


SOURCES = {
    "admin": gettext_lazy("admin"),
    "portal": gettext_lazy("portal"),
    "shop_floor": gettext_lazy("shop floor"),
    "demo": gettext_lazy("demo"),
}


def _delay(data: dict) -> str:
    reason = data.get("reason")
    if reason == "stage_overrun":
        return _("%(stage)s is running past its planned finish (%(planned)s); now expected %(eta)s.") % {
            "stage": data.get("stage", ""),
            "planned": _when(data.get("planned")),
            "eta": _when(data.get("eta")),
        }
    if reason == "eta_past_promise":
        return _("Estimated completion %(eta)s is after the promised date %(promised)s.") % {
            "eta": _when(data.get("eta")),
            "promised": _when(data.get("promised")),
        }
    if reason == "not_started":
        return _("Planned to start %(planned)s, not started yet.") % {"planned": _when(data.get("planned"))}
    return ""


def _rescheduled(data: dict) -> str:
    reason = data.get("reason")
    if reason == "moved" and data.get("to_line"):
        return _("Moved from line %(from)s to line %(to)s.") % {
            "from": data.get("from_line", ""),
            "to": data.get("to_line", ""),
        }
    if reason == "resequenced" and data.get("position"):
        return _("Moved from position %(from)s to position %(to)s in its line's queue.") % {
            "from": data.get("previous_position", "?"),
            "to": data.get("position"),
        }
    if data.get("planned_finish"):
        because = {
            "resequenced": _("the line's queue was re-sequenced"),
            "moved": _("a work order moved"),
            "split": _("a work order was split"),
        }.get(reason, _("the line was re-booked"))
        return _(
            "New plan on line %(line)s: %(start)s to %(finish)s (was %(before)s), because %(because)s."
        ) % {
            "line": data.get("line", ""),
            "start": _when(data.get("planned_start")),
            "finish": _when(data.get("planned_finish")),
            "before": _when(data.get("previous_finish")),
            "because": because,
        }
    return ""


def event_sentences(event) -> list[str]:
    """What a work order's timeline entry says beyond its kind and note (empty when nothing)."""
    data = event.data if isinstance(event.data, dict) else {}
    kind = event.kind
    if kind == K.PLANNED and data.get("planned_finish"):
        return [
            _("Booked on line %(line)s: %(start)s to %(finish)s.")
            % {
                "line": data.get("line", ""),
                "start": _when(data.get("planned_start")),
                "finish": _when(data.get("planned_finish")),
            }
        ]
    if kind in (K.STAGE_STARTED, K.STAGE_FINISHED):
        text = (
            _("%(stage)s started at %(at)s") if kind == K.STAGE_STARTED else _("%(stage)s finished at %(at)s")
        ) % {
            "stage": data.get("stage_name") or data.get("stage", ""),
            "at": _when(data.get("at")),
        }
        return [
            _("%(what)s (reported from the %(source)s); %(progress)s percent done, expected %(eta)s.")
            % {
                "what": text,
                "source": SOURCES.get(data.get("source"), data.get("source") or "admin"),
                "progress": data.get("progress", 0),
                "eta": _when(data.get("eta")),
            }
        ]
    if kind == K.ETA_CHANGED:
        return [
            _("Estimated completion %(old)s → %(new)s.")
            % {"old": _when(data.get("previous_eta")), "new": _when(data.get("eta"))}
        ]
    if kind == K.DELAYED:
        sentence = _delay(data)
        return [sentence] if sentence else []
    if kind == K.RESCHEDULED:
        sentence = _rescheduled(data)
        return [sentence] if sentence else []
    if kind == K.SPLIT and data.get("into"):
        return [
            _("%(quantity)s units split from %(from)s into %(into)s; %(remaining)s remain on %(from)s.")
            % {
                "quantity": data.get("quantity", ""),
                "from": data.get("from", ""),
                "into": data.get("into", ""),
                "remaining": data.get("remaining", ""),
            }
        ]
    if kind == K.MATERIALS_RESERVED:
        return [_("Components reserved in the plant's warehouse.")]
    return []
