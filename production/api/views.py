"""Shop-floor terminals report stage progress and read their plant's open work orders.

Authenticated by a device token only (production.api.authentication); each call is one service or
selector call (production.services.devices, production.selectors.progress).
"""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from production.api import schema
from production.api.authentication import DeviceAuthentication, IsDevice
from production.api.serializers import (
    ShopFloorEventInputSerializer,
    ShopFloorEventSerializer,
    ShopFloorWorkOrderSerializer,
)
from production.selectors.progress import work_order_list_for_plant
from production.services.devices import shop_floor_event_record
from restapi.idempotency import REPLAYED_HEADER
from restapi.parsers import check_body_framing
from restapi.schema import ERRORS, error_example, error_responses
from restapi.serializers import ErrorSerializer
from restapi.throttling import TokenRateThrottle

MAX_WORK_ORDERS = 500


class DeviceRateThrottle(TokenRateThrottle):
    """The API's rate (scope "token"), counted per terminal instead of per user."""

    def get_cache_key(self, request, view):
        device = request.auth
        ident = f"d{device.pk}" if device is not None else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": f"{ident}:w"}


class ShopFloorApi(APIView):
    authentication_classes = [DeviceAuthentication]
    permission_classes = [IsDevice]
    throttle_classes = [DeviceRateThrottle]

    def initial(self, request, *args, **kwargs):
        # First, before authentication or throttling: a body of unknown length is refused unread.
        check_body_framing(request)
        super().initial(request, *args, **kwargs)


def _error(description: str, examples: list[OpenApiExample]) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorSerializer, description=description, examples=examples)


UNAUTHORIZED = _error("No device token, or an unknown or revoked one.", schema.DEVICE_401)
THROTTLED = _error(ERRORS[429][0].replace("token", "terminal"), ERRORS[429][1])


@extend_schema(
    tags=["shop floor"],
    summary="Report that a stage started or finished",
    description="A terminal reports progress on one of its plant's work orders. Stages go in routing "
    "order: a stage starts once the one before has finished, and only a started stage finishes. The "
    "first start reserves the work order's materials (409 `materials_short` if they are not there); "
    "the last finish completes it (serial numbers go with it). Each report moves the work order's "
    "estimated completion and tells the order's timeline.\n\n"
    "**Idempotent on `event_id`** (per terminal): the first report answers 201; sending the same "
    "report again — a retry after a lost answer, or twice at once — answers 200 with the same body "
    "and the header `Idempotent-Replayed: true`, and records nothing. A refused report records "
    "nothing either, so it may be sent again with the same `event_id` once fixed. Reporting what is "
    "already recorded under a new `event_id` is accepted and changes nothing.",
    request=ShopFloorEventInputSerializer,
    examples=[
        OpenApiExample(
            "Start a stage",
            value={
                "event_id": "3f6c1a2e-7b41-4c0e-9d2a-5e8f0b6c1a01",
                "work_order": "WO-2026-000042",
                "stage": "painting",
                "action": "start",
            },
            request_only=True,
        ),
        OpenApiExample(
            "Finish the last stage, with serial numbers",
            value={
                "event_id": "3f6c1a2e-7b41-4c0e-9d2a-5e8f0b6c1a09",
                "work_order": "WO-2026-000042",
                "stage": "inspection",
                "action": "finish",
                "occurred_at": "2026-11-30T15:42:00+08:00",
                "serials": ["TRK-26-000871"],
            },
            request_only=True,
        ),
    ],
    responses={
        201: ShopFloorEventSerializer,
        200: OpenApiResponse(
            response=ShopFloorEventSerializer,
            description="A repeat of an event id already recorded: the first answer, replayed "
            "(header `Idempotent-Replayed: true`).",
        ),
        **error_responses(400, 411, 413, 415),
        401: UNAUTHORIZED,
        403: _error(
            "The work order is another plant's: a terminal reports its own plant's only. Nothing recorded.",
            [
                OpenApiExample(
                    "Another plant's work order",
                    value=error_example(
                        "work_order_other_plant",
                        "Work order WO-2026-000042 is built at another plant; this terminal reports for P01.",
                        extra={"work_order": "WO-2026-000042"},
                    ),
                )
            ],
        ),
        404: _error(
            "No such work order (`work_order_not_found`) or stage (`stage_not_found`).",
            [
                OpenApiExample(
                    "Unknown work order",
                    value=error_example(
                        "work_order_not_found",
                        "No work order WO-2026-999999.",
                        extra={"work_order": "WO-2026-999999"},
                    ),
                )
            ],
        ),
        409: _error(
            "Refused by the work order's state; nothing recorded: `stage_out_of_order`, "
            "`stage_not_started`, `work_order_closed`, `materials_short`.",
            [
                OpenApiExample(
                    "Out of order",
                    value=error_example(
                        "stage_out_of_order",
                        "Assembly cannot start before Painting has finished.",
                        extra={
                            "work_order": "WO-2026-000042",
                            "stage": "assembly",
                            "waiting_for": "painting",
                        },
                    ),
                ),
                OpenApiExample(
                    "Not started",
                    value=error_example(
                        "stage_not_started",
                        "Painting has not started; start it before finishing it.",
                        extra={"work_order": "WO-2026-000042", "stage": "painting"},
                    ),
                ),
            ],
        ),
        422: _error(
            "The event id was already used by this terminal for a different report.",
            [
                OpenApiExample(
                    "Event id reused",
                    value=error_example(
                        "event_id_reused",
                        "This event id was already used for a different report. Use a new event id.",
                        extra={"event_id": "7d9f…"},
                    ),
                )
            ],
        ),
        429: THROTTLED,
    },
)
class ShopFloorEventCreateApi(ShopFloorApi):
    def post(self, request):
        serializer = ShopFloorEventInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        body, replayed = shop_floor_event_record(
            device=request.auth,
            event_id=data["event_id"],
            work_order_number=data["work_order"],
            stage_code=data["stage"],
            action=data["action"],
            occurred_at=data.get("occurred_at") or timezone.now(),
            serials=data.get("serials"),
        )
        # Through the serializer: a replay reads the stored body back from JSON with its keys reordered.
        body = ShopFloorEventSerializer(body).data
        response = Response(body, status=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED)
        if replayed:
            response[REPLAYED_HEADER] = "true"
        return response


@extend_schema(
    tags=["shop floor"],
    summary="List the plant's open work orders with their stages",
    description="The terminal's plant's planned and in-progress work orders (in progress first, then "
    f"by planned start; at most {MAX_WORK_ORDERS}), each with its stages and the next step to record "
    "(`next_step`: which stage to start or finish). `?line=<code>` keeps one production line's.",
    parameters=[
        OpenApiParameter(
            "line", OpenApiTypes.STR, OpenApiParameter.QUERY, description="Production line code."
        )
    ],
    responses={200: ShopFloorWorkOrderSerializer(many=True), 401: UNAUTHORIZED, 429: THROTTLED},
)
class ShopFloorWorkOrderListApi(ShopFloorApi):
    def get(self, request):
        work_orders = work_order_list_for_plant(plant_id=request.auth.plant_id)
        line = request.query_params.get("line")
        if line:
            work_orders = work_orders.filter(line__code=line[:16])
        rows = ShopFloorWorkOrderSerializer(work_orders[:MAX_WORK_ORDERS], many=True).data
        return Response(rows)
