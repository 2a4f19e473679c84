"""Production's reports on an order's timeline (orders.timeline.production_sentences), in words, and
where they are shown: the dealer API's timeline, the portal and the admin's review screen."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from orders.services import order_line_production_update
from orders.states import OrderEventKind
from orders.tests.api.support import dealer, dealer_order
from orders.timeline import production_sentences

K = OrderEventKind
LINE = {"line_id": 7, "position": 1, "sku": "TRK-001"}


def english(kind: str, data: dict) -> list[str]:
    with translation.override("en"):
        return production_sentences(kind, {**LINE, **data})


def test_scheduled_names_the_work_order_plant_and_ready_date():
    sentences = english(
        K.PRODUCTION_PROGRESS,
        {"event": "scheduled", "work_order": "WO-2026-000001", "plant": "Suzhou", "date": "2026-03-20"},
    )

    assert sentences == [
        "Line 1 (TRK-001): work order WO-2026-000001 scheduled at Suzhou, ready by 03/20/2026."
    ]


def test_a_started_stage():
    assert english(K.PRODUCTION_PROGRESS, {"event": "stage_started", "stage": "Painting"}) == [
        "Line 1 (TRK-001): Painting started."
    ]


def test_a_finished_stage():
    assert english(K.PRODUCTION_PROGRESS, {"event": "stage_finished", "stage": "Frame welding"}) == [
        "Line 1 (TRK-001): Frame welding finished."
    ]


def test_a_completed_build_names_quantity_and_batch():
    assert english(K.PRODUCTION_PROGRESS, {"event": "completed", "quantity": 2, "batch": "B-2026-0042"}) == [
        "Line 1 (TRK-001): 2 built (batch B-2026-0042) and reserved for this order."
    ]


def test_a_delay_says_when_the_build_is_now_expected():
    assert english(
        K.PRODUCTION_PROGRESS, {"event": "delayed", "date": "2026-03-23", "stage": "Painting"}
    ) == ["Line 1 (TRK-001): production is running late; now expected 03/23/2026."]


def test_a_delay_without_an_estimate_shows_a_dash():
    assert english(K.PRODUCTION_PROGRESS, {"event": "delayed", "date": None}) == [
        "Line 1 (TRK-001): production is running late; now expected —."
    ]


def test_a_cancelled_work_order():
    assert english(K.PRODUCTION_PROGRESS, {"event": "cancelled", "work_order": "WO-2026-000001"}) == [
        "Line 1 (TRK-001): work order WO-2026-000001 cancelled."
    ]


def test_an_estimate_change_gives_old_and_new_date_and_the_promise():
    sentences = english(
        K.ETA_CHANGED, {"eta": "2026-03-23", "previous_eta": "2026-03-19", "promised_date": "2026-03-20"}
    )

    assert sentences == [
        "Line 1 (TRK-001): estimated ready date 03/19/2026 → 03/23/2026 (promised 03/20/2026)."
    ]


def test_an_unknown_step_says_nothing():
    assert english(K.PRODUCTION_PROGRESS, {"event": "teleported"}) == []


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        (
            K.PRODUCTION_PROGRESS,
            {"event": "scheduled", "work_order": "WO-1", "plant": "苏州", "date": "2026-03-20"},
        ),
        (K.PRODUCTION_PROGRESS, {"event": "stage_started", "stage": "喷漆"}),
        (K.PRODUCTION_PROGRESS, {"event": "stage_finished", "stage": "喷漆"}),
        (K.PRODUCTION_PROGRESS, {"event": "completed", "quantity": 1, "batch": "B-1"}),
        (K.PRODUCTION_PROGRESS, {"event": "delayed", "date": "2026-03-23"}),
        (K.PRODUCTION_PROGRESS, {"event": "cancelled", "work_order": "WO-1"}),
        (K.ETA_CHANGED, {"eta": "2026-03-23", "previous_eta": "2026-03-19", "promised_date": "2026-03-20"}),
    ],
)
def test_every_sentence_renders_in_chinese_without_error(kind, data):
    with translation.override("zh-hans"):
        (sentence,) = production_sentences(kind, {**LINE, **data})

    assert isinstance(sentence, str)
    assert "TRK-001" in sentence


# --- where they are shown -------------------------------------------------------------------------


def _reported(order):
    """A stage start, then an estimate moved past the promise, as production tells them."""
    line = order.lines.get()
    promised = dt.date(2026, 3, 20)
    order_line_production_update(line_id=line.pk, promised_date=promised, eta=promised)
    order_line_production_update(
        line_id=line.pk, stage="Painting", step={"event": "stage_started", "stage": "Painting"}
    )
    order_line_production_update(line_id=line.pk, eta=promised + dt.timedelta(days=3))
    return line


@pytest.mark.django_db
def test_the_dealer_api_timeline_tells_production_in_words():
    customer, _user, client = dealer()
    order = dealer_order(customer)
    line = _reported(order)

    with translation.override("en"):
        events = client.get(f"/api/v1/orders/{order.number}/timeline/").json()["results"]

    by_kind = {event["kind"]: event for event in events}
    assert by_kind["order.eta_changed"]["changes"] == [
        f"Line 1 ({line.sku}): estimated ready date 03/20/2026 → 03/23/2026 (promised 03/20/2026)."
    ]
    assert by_kind["order.eta_changed"]["kind_label"] == "Estimated date changed"
    assert by_kind["order.production_progress"]["changes"] == [f"Line 1 ({line.sku}): Painting started."]
    assert by_kind["order.production_progress"]["actor"] is None


@pytest.mark.django_db
def test_the_admin_review_screen_tells_production_in_words(admin_client):
    customer, _user, _client = dealer()
    order = dealer_order(customer)
    line = _reported(order)

    with translation.override("en"):
        response = admin_client.get(reverse("admin:orders_order_review", args=[order.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert f"Line 1 ({line.sku}): Painting started." in page
    assert "estimated ready date 03/20/2026 → 03/23/2026" in page
