"""The admin's "record progress" page of a work order: start or finish its next stage.

`progress_urls(model_admin)` gives the URL patterns; WorkOrderAdmin.get_urls adds them (the
production scheduler's admin, production/admin.py) and links the page from the work order's form as
`admin:production_workorder_progress`. The page calls production.services.progress; a refusal is
shown as a form error and nothing is recorded.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin_mixins import form_add_domain_error
from core.errors import DomainError
from production.models import WorkOrder, WorkOrderStage
from production.selectors.progress import next_step
from production.services.progress import stage_record

PERMISSION = "production.progress_workorder"
URL_NAME = "production_workorder_progress"


class RecordProgressForm(forms.Form):
    stage = forms.SlugField(max_length=40, widget=forms.HiddenInput)
    action = forms.ChoiceField(choices=(("start", "start"), ("finish", "finish")), widget=forms.HiddenInput)
    serials = forms.CharField(
        label=gettext_lazy("Serial numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 40}),
        help_text=gettext_lazy(
            "One per line, for serial-tracked products; only when the last stage finishes."
        ),
    )

    def clean_serials(self) -> list[str]:
        return [s.strip() for s in self.cleaned_data.get("serials", "").splitlines() if s.strip()]


def progress_urls(model_admin) -> list:
    """URL patterns of the "record progress" page for `model_admin` (the WorkOrder admin)."""

    def view(request, object_id):
        return progress_view(model_admin, request, object_id)

    return [path("<path:object_id>/progress/", model_admin.admin_site.admin_view(view), name=URL_NAME)]


def progress_view(model_admin, request, object_id):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    work_order = WorkOrder.objects.select_related("plant", "product").filter(pk=object_id).first()
    if work_order is None:
        raise Http404
    stages = list(WorkOrderStage.objects.filter(work_order_id=work_order.pk).order_by("position"))
    step = next_step(stages)
    form = None
    if request.method == "POST":
        form = RecordProgressForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                stage_record(
                    work_order_id=work_order.pk,
                    stage_code=data["stage"],
                    action=data["action"],
                    actor=request.user,
                    source="admin",
                    serials=data["serials"] or None,
                )
            except DomainError as exc:
                form_add_domain_error(form, exc)
            else:
                name = next((s.name for s in stages if s.code == data["stage"]), data["stage"])
                text = _("%(stage)s started.") if data["action"] == "start" else _("%(stage)s finished.")
                messages.success(request, text % {"stage": name})
                return HttpResponseRedirect(reverse(f"admin:{URL_NAME}", args=[work_order.pk]))
    elif step is not None:
        form = RecordProgressForm(initial={"stage": step.stage.code, "action": step.action})
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": opts,
        "title": _("Record progress of %(number)s") % {"number": work_order.number},
        "original": work_order,
        "stages": stages,
        "step": step,
        "form": form,
        "change_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[work_order.pk]),
    }
    return TemplateResponse(request, "admin/production/workorder_progress.html", context)
