"""Building blocks for request and error serializers shared by every app's api/.

Request bodies are strict: an unknown key is an error (so a misspelt or forbidden field such as
`status` or `unit_price` is refused instead of silently ignored), and JSON types are not coerced
(`"5"` is not a quantity, `5` is not a SKU).
"""

import copy

from django.core.validators import MaxLengthValidator, MinLengthValidator
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.settings import api_settings


def _collapse(detail):
    """Shape nested errors the way restapi.exceptions flattens them into `lines[2].quantity` paths.

    `{"non_field_errors": [...]}` under a field becomes that field's own list (`lines`, not
    `lines.non_field_errors`); DRF's `{index: errors}` for list items becomes a list with `{}` for
    the items without errors (`lines[2]`, not `lines.2`).
    """
    if isinstance(detail, dict):
        if set(detail) == {api_settings.NON_FIELD_ERRORS_KEY}:
            return _collapse(detail[api_settings.NON_FIELD_ERRORS_KEY])
        if detail and all(isinstance(key, int) for key in detail):
            items: list = [{} for _ in range(max(detail) + 1)]
            for index, value in detail.items():
                items[index] = _collapse(value)
            return items
        return {key: _collapse(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_collapse(item) for item in detail]
    return detail


class StrictFieldsMixin:
    """Refuse keys the serializer does not declare (nested serializers using it refuse theirs too).

    Read-only fields count as unknown: a client can never set them.
    """

    default_error_messages = {"unknown_field": _("Unknown field.")}

    def to_internal_value(self, data):
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(str(key) for key in data if key not in writable)
            if unknown:
                raise serializers.ValidationError(
                    {key: [self.error_messages["unknown_field"]] for key in unknown}, code="unknown_field"
                )
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if isinstance(exc.detail, dict):
                raise serializers.ValidationError(
                    {key: _collapse(value) for key, value in exc.detail.items()}
                )
            raise


class StrictSerializer(StrictFieldsMixin, serializers.Serializer):
    """A plain request serializer that refuses unknown keys."""


class BoundedListSerializer(serializers.ListSerializer):
    """A `many=True` list whose min_length/max_length also show as minItems/maxItems in the schema."""

    def get_validators(self):
        validators = list(super().get_validators())
        if self.min_length is not None:
            validators.append(MinLengthValidator(self.min_length))
        if self.max_length is not None:
            validators.append(MaxLengthValidator(self.max_length))
        return validators


class StrictIntegerField(serializers.IntegerField):
    """An integer that must be a JSON integer: no strings, floats or booleans."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """A boolean that must be JSON true or false: no strings or numbers."""

    default_error_messages = {"invalid": _("Must be true or false.")}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictCharField(serializers.CharField):
    """A string that must be a JSON string: numbers and booleans are refused, not converted."""

    default_error_messages = {"invalid": _("Not a valid string.")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if "\x00" in data:
            # PostgreSQL text cannot hold NUL; refusing it here keeps it a 400, not a 500.
            self.fail("invalid")
        return super().to_internal_value(data)


class ErrorSerializer(serializers.Serializer):
    """The one error envelope (restapi.exceptions): every error body (4xx and 5xx) has these four keys."""

    code = serializers.CharField(
        help_text=_("Stable, machine-readable error code, e.g. `invalid`, `not_found`, `invalid_transition`.")
    )
    message = serializers.CharField(help_text=_("Human-readable explanation (translated)."))
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=_(
            "Field errors by path, e.g. `lines[2].quantity` or `shipping_address.city`; empty when "
            "the error is not about a field."
        ),
    )
    extra = serializers.DictField(
        help_text=_(
            "Details for some codes, `{}` for the others: the existing order number for "
            "`duplicate_external_reference`, the current version for `concurrent_modification`, "
            "`retry_after` seconds for `throttled`."
        )
    )


class CachedModelFieldsMixin:
    """For read-only ModelSerializers: introspect the model once per class, not once per instance.

    ModelSerializer rebuilds every field from model metadata on each instantiation, which is most of
    the cost of rendering an order; a deep copy of the first build is several times cheaper and equal.
    """

    def get_fields(self):
        cls = type(self)
        template = cls.__dict__.get("_cached_field_template")
        if template is None:
            template = super().get_fields()
            cls._cached_field_template = template
        return copy.deepcopy(template)


class ChoiceLabelField(serializers.CharField):
    """The translated label of a TextChoices value (`get_<field>_display` without its per-call cost)."""

    def __init__(self, choices_enum, **kwargs):
        self.choices_enum = choices_enum
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        try:
            return str(self.choices_enum(value).label)
        except ValueError:
            return str(value)


def absolute_url(request, name: str, **kwargs) -> str:
    """The absolute URL of the dealer API route `name` (v1), or its path when there is no request."""
    url = reverse(f"v1:{name}", kwargs=kwargs or None)
    return request.build_absolute_uri(url) if request is not None else url
