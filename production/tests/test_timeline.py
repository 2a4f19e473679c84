"""A work order's timeline told in words (production.timeline), from each service's stored data."""

from django.utils import translation

from production.models import WorkOrderEvent
from production.states import WorkOrderEventKind as K
from production.timeline import event_sentences


def _event(kind, **data):
    return WorkOrderEvent(kind=kind, data=data)


def test_a_stage_start_says_what_where_from_how_far_and_when_expected():
    event = _event(
        K.STAGE_STARTED,
        stage="painting",
        stage_name="Painting",
        at="2026-12-01T02:00:00+00:00",
        source="shop_floor",
        progress=25,
        eta="2026-12-03T08:00:00+00:00",
    )

    (sentence,) = event_sentences(event)

    assert sentence.startswith("Painting started at ")
    assert "(reported from the shop floor); 25 percent done, expected " in sentence


def test_each_delay_reason_has_its_sentence():
    overrun = _event(K.DELAYED, reason="stage_overrun", stage="Painting", planned="2026-12-01T08:00:00+00:00")
    promise = _event(K.DELAYED, reason="eta_past_promise", eta="2026-12-05", promised="2026-12-03")
    missed = _event(K.DELAYED, reason="not_started", planned="2026-12-01T00:00:00+00:00")

    assert event_sentences(overrun)[0].startswith("Painting is running past its planned finish")
    assert "is after the promised date" in event_sentences(promise)[0]
    assert event_sentences(missed)[0].startswith("Planned to start ")


def test_a_resequencing_and_the_dates_it_moved_are_told():
    moved = _event(K.RESCHEDULED, reason="resequenced", previous_position=3, position=1)
    pushed = _event(
        K.RESCHEDULED,
        reason="resequenced",
        line="SY-A",
        planned_start="2026-12-02T00:00:00+00:00",
        planned_finish="2026-12-04T08:00:00+00:00",
        previous_finish="2026-12-03T08:00:00+00:00",
    )

    assert event_sentences(moved) == ["Moved from position 3 to position 1 in its line's queue."]
    assert "because the line's queue was re-sequenced" in event_sentences(pushed)[0]


def test_sentences_render_in_chinese_and_unknown_data_says_nothing():
    event = _event(K.SPLIT, into="WO-2", quantity=2, remaining=3, **{"from": "WO-1"})

    with translation.override("zh-hans"):
        (sentence,) = event_sentences(event)

    assert "WO-2" in sentence
    assert sentence != sentence.encode("ascii", "ignore").decode()
    assert event_sentences(_event(K.DONE)) == []
    assert event_sentences(WorkOrderEvent(kind=K.DELAYED, data=None)) == []
