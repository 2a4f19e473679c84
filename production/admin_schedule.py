"""The production scheduler's schedule page, under the work orders' admin
(/admin/production/workorder/schedule/?plant=<id>&start=<date>): per plant, each line's booked units
against its capacity on the next working days (non-working days greyed), and the open work orders
against the same days, each linking to its page. Reads production.selectors.schedule only."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from production.selectors.schedule import DEFAULT_WORKING_DAYS, plant_schedule, schedule_plants


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


class WorkOrderScheduleAdminMixin:
    def schedule_urls(self):
        return [
            path(
                "schedule/",
                self.admin_site.admin_view(self.schedule_view),
                name="production_workorder_schedule",
            )
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "schedule_url": reverse("admin:production_workorder_schedule"),
            "shortages_url": reverse("admin:production_workorder_shortages"),
            "trace_url": reverse("admin:production_workorder_trace"),
        }
        return super().changelist_view(request, extra_context)

    def schedule_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        plants = list(schedule_plants())
        plant_id = request.GET.get("plant", "")
        chosen = next((p for p in plants if str(p.pk) == plant_id), plants[0] if plants else None)
        today = timezone.localdate()
        start = _date(request.GET.get("start")) or today
        schedule = plant_schedule(plant_id=chosen.pk, start=start) if chosen else None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Production schedule"),
            "opts": self.opts,
            "plants": plants,
            "plant": chosen,
            "schedule": schedule,
            "start": start,
            "previous_start": start - dt.timedelta(days=DEFAULT_WORKING_DAYS),
            "next_start": (schedule.end + dt.timedelta(days=1)) if schedule else start,
            "today": today,
            "change_url_name": "admin:production_workorder_change",
        }
        return TemplateResponse(request, "admin/production/workorder/schedule.html", context)
