"""Portal pages of production: plant supervisors record stage progress of their plants' work orders;
sales reps follow the builds of their customers' orders.

Who sees which work orders is production.selectors.progress's to decide (a supervisor's plants,
a rep's customers through orders.selectors); every recording calls one progress service.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from core.errors import DomainError, NotFound
from crm.selectors import is_sales_rep
from portal.mixins import PortalAccessMixin, apply_domain_error
from production.portal.forms import StageProgressForm
from production.selectors.progress import (
    next_step,
    supervises_any_plant,
    work_order_get_for_supervisor,
    work_order_list_for_rep,
    work_order_list_for_supervisor,
)
from production.services.progress import stage_record

PAGE_SIZE = 25
PROGRESS_PERMISSION = "production.progress_workorder"


def _rows(work_orders) -> list:
    """Each work order with its stages (prefetched) and next step, ready for the templates."""
    today = timezone.localdate()
    rows = []
    for work_order in work_orders:
        work_order.stage_list = list(work_order.stages.all())
        work_order.next = next_step(work_order.stage_list)
        eta_date = timezone.localdate(work_order.eta) if work_order.eta else None
        work_order.eta_date = eta_date
        work_order.late = work_order.is_delayed or bool(
            eta_date and work_order.promised_date and eta_date > work_order.promised_date
        )
        work_order.overdue = bool(eta_date and eta_date < today and work_order.status != "done")
        rows.append(work_order)
    return rows


def _next_form(work_order):
    step = work_order.next
    if step is None:
        return None
    return StageProgressForm(initial={"stage": step.stage.code, "action": step.action})


class PlantWorkOrderListView(PortalAccessMixin, View):
    """The open work orders of the supervisor's plants, each with a button for its next step."""

    access_check = staticmethod(supervises_any_plant)
    no_access_reason = gettext_lazy("This page is for plant supervisors.")

    def get(self, request):
        page = Paginator(work_order_list_for_supervisor(user=request.user), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        rows = _rows(page)
        may_record = request.user.has_perm(PROGRESS_PERMISSION)
        for work_order in rows:
            work_order.form = _next_form(work_order) if may_record else None
        return render(
            request,
            "portal/production/plant_list.html",
            {"page": page, "rows": rows, "may_record": may_record},
        )


class PlantWorkOrderDetailView(PortalAccessMixin, View):
    """One work order of the supervisor's plants: its stages, and its next step recorded (POST)."""

    access_check = staticmethod(supervises_any_plant)
    no_access_reason = gettext_lazy("This page is for plant supervisors.")

    def _work_order(self, request, number: str):
        try:
            return work_order_get_for_supervisor(user=request.user, number=number[:32])
        except NotFound:
            raise Http404

    def _render(self, request, work_order, form=None, status=200):
        rows = _rows([work_order])
        may_record = request.user.has_perm(PROGRESS_PERMISSION)
        if form is None and may_record:
            form = _next_form(work_order)
        return render(
            request,
            "portal/production/plant_detail.html",
            {"work_order": rows[0], "form": form if may_record else None, "may_record": may_record},
            status=status,
        )

    def get(self, request, number: str):
        return self._render(request, self._work_order(request, number))

    def post(self, request, number: str):
        work_order = self._work_order(request, number)
        if not request.user.has_perm(PROGRESS_PERMISSION):
            return render(
                request,
                "portal/no_access.html",
                {"reason": _("Your account may not record work order progress.")},
                status=403,
            )
        form = StageProgressForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                stage_record(
                    work_order_id=work_order.pk,
                    stage_code=data["stage"],
                    action=data["action"],
                    actor=request.user,
                    source="portal",
                    serials=data["serials"] or None,
                )
            except DomainError as exc:
                apply_domain_error(exc, form)
            else:
                stage = next(
                    (s.name for s in work_order.stages.all() if s.code == data["stage"]), data["stage"]
                )
                text = (
                    _("%(work_order)s: %(stage)s started.")
                    if data["action"] == "start"
                    else _("%(work_order)s: %(stage)s finished.")
                )
                messages.success(request, text % {"work_order": work_order.number, "stage": stage})
                return redirect("portal:plant-work-order-list")
        return self._render(request, work_order, form=form, status=200)


class BuildListView(PortalAccessMixin, View):
    """A rep's customers' builds: stage, progress, promised date and estimate; late ones flagged."""

    access_check = staticmethod(is_sales_rep)
    no_access_reason = gettext_lazy("Builds are shown to sales representatives for their customers' orders.")

    def get(self, request):
        page = Paginator(work_order_list_for_rep(user=request.user), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        return render(request, "portal/production/builds.html", {"page": page, "rows": _rows(page)})
