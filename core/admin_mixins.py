"""The admin's one DomainError adapter (STYLE.md §6): a refused service call becomes a message, never a 500.

Every ModelAdmin that calls services mixes this in. Actions and custom views call services through
`call_service`, which reports the error and lets the caller go on (a bulk action reports each row);
anything that still escapes a view is caught here, reported and answered with a redirect back.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.errors import DomainError


def domain_error_text(exc: DomainError, *, label: Callable[[str], str] = str) -> str:
    """The translated message of `exc`, followed by its field messages (`Field: message`), each field
    named by `label(path)` (the path itself by default)."""
    parts = [str(exc.message)]
    for path, field_messages in exc.fields.items():
        parts.append(
            _("%(field)s: %(messages)s")
            % {"field": label(path), "messages": " ".join(map(str, field_messages))}
        )
    return " ".join(parts)


def form_add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Put a DomainError on a validated form: field messages on the matching field, the rest on top.

    A form may define `domain_error_field(path) -> (field name or None, label)` to place nested
    paths such as `lines[2].sku`; by default the path's first segment names the field.
    """
    if not exc.fields:
        form.add_error(None, str(exc.message))
        return
    place = getattr(form, "domain_error_field", None)
    for path, field_messages in exc.fields.items():
        if place is not None:
            name, label = place(path)
        else:
            root = path.split(".")[0].split("[")[0]
            name = root if root in form.fields else None
            label = "" if name == path else path
        for message in field_messages:
            text = (
                _("%(label)s: %(message)s") % {"label": label, "message": message} if label else str(message)
            )
            form.add_error(name, text)


def use_autocomplete(form: forms.Form, name: str, model_field, admin_site) -> None:
    """Search-as-you-type for a choice field of a plain form, through the target's admin search."""
    field = form.fields[name]
    field.widget = AutocompleteSelect(model_field, admin_site, choices=field.choices)


class ReasonActionForm(helpers.ActionForm):
    """The changelist's action bar with a reason box, for actions the services want a reason for."""

    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=500)


def action_reason(request: HttpRequest, *, label: str, required: bool) -> str | None:
    """The reason typed next to an action; None (after telling the user) when one is required and missing."""
    reason = (request.POST.get("reason") or "").strip()
    if required and not reason:
        messages.error(
            request,
            _("“%(action)s” needs a reason: type it in the Reason box next to the action.")
            % {"action": label},
        )
        return None
    return reason


class DomainErrorAdminMixin:
    """Report DomainErrors raised by services as admin error messages."""

    def domain_error_label(self, path: str) -> str:
        """A service's field path as the user knows it: the label of the action bar's field (the box the
        value was typed in), else the model field's verbose name (`carrier_id` → "Carrier"), else the
        path itself (nested paths such as `lines[2].sku` stay as they are)."""
        action_form = getattr(self, "action_form", None)
        field = action_form.base_fields.get(path) if action_form else None
        if field is not None and field.label:
            return str(field.label)
        model: type[models.Model] | None = getattr(self, "model", None)
        for name in (path, path.removesuffix("_id")) if model is not None else ():
            try:
                # Reverse relations (`lines`) have no verbose name: they keep the path.
                verbose_name = getattr(model._meta.get_field(name), "verbose_name", None)
            except FieldDoesNotExist:
                continue
            if verbose_name:
                return capfirst(verbose_name)
        return path

    def message_domain_error(self, request: HttpRequest, exc: DomainError, *, subject: str = "") -> None:
        text = domain_error_text(exc, label=self.domain_error_label)
        if subject and subject not in text:
            text = _("%(subject)s: %(message)s") % {"subject": subject, "message": text}
        messages.error(request, text)

    def call_service(
        self, request: HttpRequest, service: Callable[..., Any], /, *, subject: str = "", **kwargs
    ) -> tuple[bool, Any]:
        """Call `service(**kwargs)`; on a DomainError report it and return (False, None)."""
        try:
            return True, service(**kwargs)
        except DomainError as exc:
            self.message_domain_error(request, exc, subject=subject)
            return False, None

    def call_service_each(
        self,
        request: HttpRequest,
        queryset,
        service: Callable[..., Any],
        *,
        id_kwarg: str,
        label: str,
        subject_field: str = "number",
        already: models.TextChoices | None = None,
        **kwargs,
    ) -> list[str]:
        """Call `service` once per selected row (primary-key order), each in its own transaction.

        Rows whose status is `already` the one the service moves to are skipped, not called: the engine
        would return them unchanged (core.lifecycle), and "done" would claim a change nobody made.
        Reports every refusal with the row's subject, then one message naming the rows done and one
        naming the rows skipped.
        """
        done, skipped = [], []
        fields = ("pk", subject_field, "status") if already is not None else ("pk", subject_field)
        for pk, subject, *status in queryset.order_by("pk").values_list(*fields):
            if status and status[0] == already:
                skipped.append(str(subject))
                continue
            ok, _result = self.call_service(
                request, service, subject=str(subject), **{id_kwarg: pk}, **kwargs
            )
            if ok:
                done.append(str(subject))
        if done:
            messages.success(
                request,
                ngettext(
                    "%(action)s: %(count)d done (%(items)s).",
                    "%(action)s: %(count)d done (%(items)s).",
                    len(done),
                )
                % {"action": label, "count": len(done), "items": ", ".join(done)},
            )
        if skipped:
            messages.warning(
                request,
                ngettext(
                    "%(action)s: %(count)d skipped, already “%(status)s” (%(items)s).",
                    "%(action)s: %(count)d skipped, already “%(status)s” (%(items)s).",
                    len(skipped),
                )
                % {
                    "action": label,
                    "count": len(skipped),
                    "status": already.label,
                    "items": ", ".join(skipped),
                },
            )
        return done

    def _refused(self, request: HttpRequest, exc: DomainError) -> HttpResponse:
        self.message_domain_error(request, exc)
        return HttpResponseRedirect(request.get_full_path())

    # The admin wraps changeform_view/delete_view in a transaction; catching outside it means the
    # service's writes are already rolled back when the message is shown.
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            return self._refused(request, exc)

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except DomainError as exc:
            return self._refused(request, exc)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as exc:
            return self._refused(request, exc)


class ServiceAddViewMixin:
    """An add view whose form feeds a creating service instead of saving a ModelForm.

    Subclasses set `add_form` (a plain Form; it may take `admin_site`) and `add_fieldsets`, and
    implement `create_through_service(request, form)`. A DomainError from the service lands on the
    form (field messages on their fields), so nothing typed is lost and nothing is written.
    """

    add_form: type[forms.Form]
    add_fieldsets: tuple = ()
    add_form_takes_admin_site = False

    def get_add_form(self, request: HttpRequest) -> forms.Form:
        kwargs = {"admin_site": self.admin_site} if self.add_form_takes_admin_site else {}
        return self.add_form(request.POST if request.method == "POST" else None, **kwargs)

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = self.get_add_form(request)
        if request.method == "POST" and form.is_valid():
            try:
                obj = self.create_through_service(request, form)
            except DomainError as exc:
                form_add_domain_error(form, exc)
            else:
                self.log_addition(request, obj, [{"added": {}}])
                return self.response_add(request, obj)
        adminform = helpers.AdminForm(form, list(self.add_fieldsets), {}, model_admin=self)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Add %s") % self.opts.verbose_name,
            "subtitle": None,
            "adminform": adminform,
            "object_id": None,
            "original": None,
            "is_popup": False,
            "to_field": None,
            "media": self.media + adminform.media,
            "inline_admin_formsets": [],
            "errors": helpers.AdminErrorList(form, []),
            "preserved_filters": self.get_preserved_filters(request),
            **(extra_context or {}),
        }
        return self.render_change_form(request, context, add=True, form_url=form_url)


class ReadOnlyAdminMixin:
    """A view-only admin: rows written by services or sweeps, shown for reference."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceDocumentAdminMixin:
    """A document changed only through service actions: no form saves, no deletes. Actions declared
    with `permissions=["write"]` need the `write_permission` codename (e.g. "finance.change_invoice")."""

    write_permission = ""

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_write_permission(self, request):
        return bool(self.write_permission) and request.user.has_perm(self.write_permission)


class PartOfParentInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Rows that belong to a parent document (lines, payments, timeline): visible to whoever may see the
    parent (Django sets `parent_model` to the admin's model), written only by the parent's services."""

    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return self.admin_site.get_model_admin(self.parent_model).has_view_or_change_permission(request, obj)


class TimelineInline(PartOfParentInline):
    """A document's timeline (core.models.TimelineEvent rows), newest first, read-only."""

    fields = ("created_at", "kind_label", "from_status", "to_status", "actor", "note")
    readonly_fields = fields
    ordering = ("-created_at", "-id")
    verbose_name_plural = gettext_lazy("timeline")

    @admin.display(description=gettext_lazy("kind"))
    def kind_label(self, event) -> str:
        return event.kind_label

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")
