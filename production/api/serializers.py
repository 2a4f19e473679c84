"""Shop-floor request and response shapes. Requests are strict (restapi.serializers): unknown keys and
wrong JSON types are refused."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from production.selectors.progress import next_step
from production.services.devices import ACTIONS
from restapi.serializers import StrictCharField, StrictSerializer

# A terminal's clock may run a little ahead of the server's; more than this is a wrong clock.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
MAX_SERIALS = 1000


class ShopFloorEventInputSerializer(StrictSerializer):
    event_id = StrictCharField(
        max_length=64,
        help_text=_("The terminal's own id for this report (a UUID is a good choice); a repeat is replayed."),
    )
    work_order = StrictCharField(max_length=32, help_text=_("Work order number, e.g. WO-2026-000042."))
    stage = StrictCharField(
        max_length=40, help_text=_("Stage code from the work order's routing, e.g. painting.")
    )
    action = serializers.ChoiceField(choices=ACTIONS, help_text=_("start or finish."))
    occurred_at = serializers.DateTimeField(
        required=False,
        help_text=_(
            "When it happened (ISO 8601 with offset); default: when received. At most 5 minutes ahead."
        ),
    )
    serials = serializers.ListField(
        child=StrictCharField(max_length=40),
        required=False,
        max_length=MAX_SERIALS,
        help_text=_(
            "Serial numbers of the finished units: with the last stage's finish, serial-tracked families."
        ),
    )

    def validate_event_id(self, value: str) -> str:
        if not value.strip() or not value.isprintable():
            raise serializers.ValidationError(_("Use printable characters only."))
        return value

    def validate_occurred_at(self, value: dt.datetime) -> dt.datetime:
        if value > timezone.now() + FUTURE_TOLERANCE:
            raise serializers.ValidationError(
                _("This is in the future; check the terminal's clock (at most 5 minutes ahead).")
            )
        return value


class ShopFloorEventSerializer(serializers.Serializer):
    """What a recorded report answers (and a repeat replays)."""

    event_id = serializers.CharField()
    work_order = serializers.CharField()
    stage = serializers.CharField()
    action = serializers.ChoiceField(choices=ACTIONS)
    occurred_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField()
    status = serializers.CharField(
        help_text=_("The work order's status after the report: in_progress or done.")
    )
    current_stage = serializers.CharField(
        help_text=_("Name of the stage in progress (or the last finished).")
    )
    progress_percent = serializers.IntegerField()
    eta = serializers.DateTimeField(allow_null=True, help_text=_("Estimated completion after the report."))


class StageSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    status = serializers.CharField(help_text=_("pending, started or done."))
    standard_days = serializers.DecimalField(max_digits=5, decimal_places=2)
    planned_start = serializers.DateTimeField(allow_null=True)
    planned_finish = serializers.DateTimeField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class NextStepSerializer(serializers.Serializer):
    stage = serializers.CharField(source="stage.code")
    action = serializers.ChoiceField(choices=ACTIONS)
    is_last = serializers.BooleanField(
        help_text=_("Finishing it completes the work order (serials go with it).")
    )


class ShopFloorWorkOrderSerializer(serializers.Serializer):
    number = serializers.CharField()
    sku = serializers.CharField(source="product.sku", allow_null=True, default=None)
    product = serializers.CharField(source="product.name", allow_null=True, default=None)
    quantity = serializers.IntegerField()
    line = serializers.CharField(source="line.code", allow_null=True, default=None)
    status = serializers.CharField()
    current_stage = serializers.CharField(source="stage")
    progress_percent = serializers.IntegerField()
    planned_start = serializers.DateTimeField(allow_null=True)
    planned_finish = serializers.DateTimeField(allow_null=True)
    eta = serializers.DateTimeField(allow_null=True)
    materials_short = serializers.BooleanField()
    delayed = serializers.BooleanField(source="is_delayed")
    next_step = serializers.SerializerMethodField()
    stages = StageSerializer(many=True, source="stages.all")

    @extend_schema_field(NextStepSerializer(allow_null=True))
    def get_next_step(self, obj) -> dict | None:
        step = next_step(obj.stages.all())
        return NextStepSerializer(step).data if step else None
