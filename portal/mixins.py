"""The portal's error adapter and access rules (STYLE.md §6: one adapter per interface).

A service refuses with a DomainError; the portal shows it where the user typed the value. Field
paths are the ones the API returns (`requested_delivery_date`, `lines[1].quantity`,
`lines[0].options.colour`): a path whose head names a form field lands on that field, a path
`name[i].field` lands on the i-th form the service saw of the formset bound as `name`, and
anything else becomes a non-field error so no message is ever lost.
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.forms import BaseFormSet, Form
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from core.errors import DomainError

_INDEXED = re.compile(r"^(?P<name>\w+)\[(?P<index>\d+)\](?:\.(?P<rest>.+))?$")


@dataclass
class BoundFormset:
    """A formset as the service saw it: `forms[i]` is the form that became item `i` of the list."""

    formset: BaseFormSet
    forms: Sequence[Form]


def _add(form: Form, path: str, message: str) -> None:
    """Add to the field named by the head of `path`, keeping any deeper part as a label."""
    head = re.split(r"[.\[]", path, maxsplit=1)[0] if path else ""
    if head and head in form.fields:
        rest = path[len(head) :].lstrip(".")
        form.add_error(head, f"{rest}: {message}" if rest else message)
    else:
        form.add_error(None, f"{path}: {message}" if path else message)


def apply_domain_error(
    exc: DomainError, form: Form, *, formsets: dict[str, BoundFormset] | None = None
) -> None:
    """Put a service's refusal onto `form` (and bound formsets) as form errors.

    A 404-class error means the object is gone or not the user's: that is a 404 page, not a form
    error, so nobody learns whether someone else's object exists.
    """
    if exc.status == 404:
        raise Http404(str(exc.message))
    formsets = formsets or {}
    if not exc.fields:
        form.add_error(None, str(exc.message))
        return
    for path, texts in exc.fields.items():
        for message in texts:
            _place(path, str(message), form, formsets)


def _place(path: str, message: str, form: Form, formsets: dict[str, BoundFormset]) -> None:
    match = _INDEXED.match(path)
    if match and match["name"] in formsets:
        bound = formsets[match["name"]]
        index = int(match["index"])
        if index < len(bound.forms):
            _add(bound.forms[index], match["rest"] or "", message)
            return
    if path in formsets:
        # non_form_errors() returns the formset's own ErrorList, so appending shows it with the formset.
        formsets[path].formset.non_form_errors().append(message)
        return
    _add(form, path, message)


class PortalAccessMixin(LoginRequiredMixin):
    """Login required; then `access_check(user)` decides, else a friendly page (403).

    The check is handed in by the URL configuration (`as_view(access_check=...)` in
    config/portal_urls.py) so the portal shell need not know which app decides who is a dealer or a
    sales rep. A subclass that sets it on the class must wrap it in staticmethod.
    """

    access_check: Callable | None = None
    no_access_template = "portal/no_access.html"
    no_access_reason = gettext_lazy("Your account has no access to this page.")

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        check = self.access_check
        if check is not None and not check(request.user):
            return render(request, self.no_access_template, {"reason": self.no_access_reason}, status=403)
        return super().dispatch(request, *args, **kwargs)


def domain_error_message(request, exc: DomainError) -> None:
    """For button actions with no form to hold the error (revoke, delete…): show it as a message."""
    if exc.status == 404:
        raise Http404(str(exc.message))
    messages.error(request, str(exc.message))
