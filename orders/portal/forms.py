"""Portal forms for orders. They check input shape only; the services decide the business rules."""

import re

from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orders.services import LineChange
from orders.states import OrderStatus
from pricing.services import LineRequest

_PAIR_SEPARATORS = re.compile(r"[,;\n]+")


class DateInput(forms.DateInput):
    input_type = "date"


class OrderFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=80,
        widget=forms.TextInput(attrs={"placeholder": _("Number or external reference")}),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *OrderStatus.choices]
    )
    customer = forms.ModelChoiceField(
        label=_("Customer"), required=False, queryset=None, empty_label=_("All customers")
    )
    date_from = forms.DateField(label=_("Created from"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("Created to"), required=False, widget=DateInput)

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned

    def apply(self, orders):
        """Narrow an already visible queryset; invalid filters are ignored rather than widening it."""
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("q"):
            term = data["q"].strip()
            orders = orders.filter(Q(number__icontains=term) | Q(external_reference__icontains=term))
        if data.get("status"):
            orders = orders.filter(status=data["status"])
        if data.get("customer"):
            orders = orders.filter(customer=data["customer"])
        if data.get("date_from"):
            orders = orders.filter(created_at__date__gte=data["date_from"])
        if data.get("date_to"):
            orders = orders.filter(created_at__date__lte=data["date_to"])
        return orders


class OrderCreateForm(forms.Form):
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=None)
    requested_delivery_date = forms.DateField(
        label=_("Requested delivery date"), required=False, widget=DateInput
    )
    external_reference = forms.CharField(
        label=_("External reference"),
        max_length=80,
        required=False,
        help_text=_("The customer's PO number, if any."),
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers


def parse_options(text: str) -> dict[str, str]:
    """`colour=red, size=L` → {"colour": "red", "size": "L"}. Raises ValidationError on bad pairs."""
    options: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in _PAIR_SEPARATORS.split(text or ""))):
        code, sep, value = pair.partition("=")
        code, value = code.strip(), value.strip()
        if not sep or not code or not value:
            raise forms.ValidationError(
                _("Write options as code=value pairs, e.g. colour=red, size=L; “%(pair)s” is not one."),
                params={"pair": pair},
                code="pair",
            )
        if code in options:
            raise forms.ValidationError(
                _("Option “%(code)s” is given twice."), params={"code": code}, code="duplicate"
            )
        options[code] = value
    return options


class OrderLineForm(forms.Form):
    sku = forms.CharField(label=_("SKU"), max_length=64)
    quantity = forms.IntegerField(
        label=_("Quantity"), min_value=1, max_value=settings.ORDER_LINE_MAX_QUANTITY
    )
    options = forms.CharField(
        label=_("Options"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": _("colour=red, size=L")}),
    )

    def clean_options(self):
        return parse_options(self.cleaned_data.get("options", ""))

    def line_request(self) -> LineRequest:
        data = self.cleaned_data
        return LineRequest(sku=data["sku"].strip(), quantity=data["quantity"], options=data["options"])


# The line limit is the service's rule (ORDER_MAX_LINES); max_num only bounds what the page renders.
OrderLineFormSet = forms.formset_factory(OrderLineForm, extra=3, max_num=settings.ORDER_MAX_LINES)


def format_options(options: dict) -> str:
    """The inverse of parse_options, for a line shown for editing."""
    return ", ".join(f"{code}={value}" for code, value in (options or {}).items())


class OrderLineEditForm(OrderLineForm):
    """A row of the edit page: an existing line (its product fixed; quantity, options, remove) or,
    without `line_id`, a new line. Blank new rows are skipped."""

    line_id = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    remove = forms.BooleanField(label=_("Remove"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sku"].required = False
        self.fields["quantity"].required = False
        if self.initial.get("line_id"):
            # A line's product does not change: remove the line and add another.
            self.fields["sku"].disabled = True
        else:
            del self.fields["remove"]

    def clean(self):
        cleaned = super().clean()
        existing = bool(self.initial.get("line_id"))
        wanted = cleaned.get("sku") if not existing else not cleaned.get("remove")
        if wanted and cleaned.get("quantity") is None and "quantity" not in self.errors:
            self.add_error("quantity", forms.ValidationError(_("This field is required."), code="required"))
        return cleaned

    def line_change(self):
        """The service's LineChange for this row (call only for a changed row)."""
        data = self.cleaned_data
        line_id = self.initial.get("line_id")
        if line_id is None:
            return LineChange(sku=data["sku"].strip(), quantity=data["quantity"], options=data["options"])
        if data.get("remove"):
            return LineChange(line_id=line_id, remove=True)
        return LineChange(
            line_id=line_id,
            quantity=data["quantity"] if data.get("quantity") is not None else None,
            options=data["options"],
        )


OrderLineEditFormSet = forms.formset_factory(OrderLineEditForm, extra=2, max_num=settings.ORDER_MAX_LINES)

ADDRESS_FORM_FIELDS = ("recipient", "phone", "region", "city", "district", "line1", "postal_code")


class OrderEditForm(forms.Form):
    """The header of an order a sales rep corrects: dates, address, reference, notes."""

    requested_delivery_date = forms.DateField(
        label=_("Requested delivery date"), required=False, widget=DateInput
    )
    saved_address = forms.ModelChoiceField(
        label=_("Ship to a saved address"),
        required=False,
        queryset=None,
        empty_label=_("Keep the address below"),
    )
    recipient = forms.CharField(label=_("Recipient"), max_length=120)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    region = forms.CharField(label=_("Province / region"), max_length=80)
    city = forms.CharField(label=_("City"), max_length=80)
    district = forms.CharField(label=_("District"), max_length=80, required=False)
    line1 = forms.CharField(label=_("Street address"), max_length=200)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    external_reference = forms.CharField(
        label=_("External reference"),
        max_length=80,
        required=False,
        help_text=_("The customer's PO number, if any."),
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    reason = forms.CharField(
        label=_("What was corrected, and why"),
        required=False,
        max_length=500,
        help_text=_("Kept on the order's timeline."),
    )
    # The version the rep opened: a change to an order someone else changed meanwhile is refused.
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, addresses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["saved_address"].queryset = addresses

    def address_changes(self, current: dict) -> dict:
        """The service's address arguments: a saved address, the typed one if it changed, or none."""
        data = self.cleaned_data
        if data.get("saved_address") is not None:
            return {"shipping_address_id": data["saved_address"].pk}
        typed = {name: data.get(name, "") for name in ADDRESS_FORM_FIELDS}
        if all(typed[name] == str(current.get(name) or "") for name in ADDRESS_FORM_FIELDS):
            return {}
        address = {**typed, "country": str(current.get("country") or "")}
        place = ("region", "city", "district", "line1")
        if all(typed[name] == str(current.get(name) or "") for name in place):
            # Only who receives it changed: the place, and so its coordinates, stay.
            address.update({name: str(current.get(name) or "") for name in ("latitude", "longitude")})
        return {"shipping_address": address}


class ProductPickerForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=80,
        widget=forms.TextInput(attrs={"placeholder": _("SKU, name or series")}),
    )

    def apply(self, products):
        """Narrow the active products; an invalid search is ignored rather than widening anything."""
        term = (self.cleaned_data.get("q") or "").strip() if self.is_valid() else ""
        if term:
            products = products.filter(
                Q(sku__icontains=term) | Q(name__icontains=term) | Q(series__icontains=term)
            )
        return products


class OrderCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": _("Why is the order cancelled?")}),
    )
    # The version the dealer saw: cancelling an order someone changed meanwhile is refused.
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
