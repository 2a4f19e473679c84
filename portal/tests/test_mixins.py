import pytest
from django import forms
from django.http import Http404

from core.errors import Conflict, NotFound, ValidationFailed
from portal.mixins import BoundFormset, apply_domain_error


class HeaderForm(forms.Form):
    customer = forms.CharField()
    requested_delivery_date = forms.DateField(required=False)


class LineForm(forms.Form):
    sku = forms.CharField()
    quantity = forms.IntegerField()
    options = forms.CharField(required=False)


LineFormSet = forms.formset_factory(LineForm, extra=0)


def bound_forms(lines: int):
    header = HeaderForm({"customer": "C1"})
    data = {"lines-TOTAL_FORMS": str(lines), "lines-INITIAL_FORMS": "0"}
    for i in range(lines):
        data.update({f"lines-{i}-sku": f"SKU-{i}", f"lines-{i}-quantity": "1"})
    formset = LineFormSet(data, prefix="lines")
    assert header.is_valid()
    assert formset.is_valid()
    return header, formset


def test_a_field_path_that_names_a_form_field_lands_on_that_field():
    header, _ = bound_forms(0)

    apply_domain_error(ValidationFailed(fields={"requested_delivery_date": ["In the past."]}), header)

    assert header.errors == {"requested_delivery_date": ["In the past."]}


def test_an_indexed_path_lands_on_the_form_the_service_saw_at_that_index():
    header, formset = bound_forms(3)
    # The service saw only rows 0 and 2 (row 1 was blank), so its lines[1] is the third row.
    seen = [formset.forms[0], formset.forms[2]]

    apply_domain_error(
        ValidationFailed(fields={"lines[1].quantity": ["Packs of 6."]}),
        header,
        formsets={"lines": BoundFormset(formset, seen)},
    )

    assert formset.forms[2].errors == {"quantity": ["Packs of 6."]}
    assert not formset.forms[0].errors
    assert not formset.forms[1].errors
    assert not header.errors


def test_a_deeper_path_lands_on_its_head_field_and_keeps_the_rest_as_a_label():
    header, formset = bound_forms(1)

    apply_domain_error(
        ValidationFailed(fields={"lines[0].options.colour": ["Not allowed."]}),
        header,
        formsets={"lines": BoundFormset(formset, formset.forms)},
    )

    assert formset.forms[0].errors == {"options": ["colour: Not allowed."]}


def test_a_path_naming_the_formset_itself_becomes_a_formset_error():
    header, formset = bound_forms(0)

    apply_domain_error(
        ValidationFailed(fields={"lines": ["At least one line."]}),
        header,
        formsets={"lines": BoundFormset(formset, [])},
    )

    assert formset.non_form_errors() == ["At least one line."]
    assert not header.errors


def test_an_unknown_path_becomes_a_non_field_error_naming_the_path():
    header, _ = bound_forms(0)

    apply_domain_error(ValidationFailed(fields={"shipping_address": ["No saved address."]}), header)

    assert header.non_field_errors() == ["shipping_address: No saved address."]


def test_an_error_without_fields_becomes_a_non_field_error_with_its_message():
    header, _ = bound_forms(0)

    apply_domain_error(Conflict("Someone else changed it."), header)

    assert header.non_field_errors() == ["Someone else changed it."]


def test_not_found_is_a_404_not_a_form_error():
    header, _ = bound_forms(0)

    with pytest.raises(Http404):
        apply_domain_error(NotFound(), header)
    assert not header.errors
