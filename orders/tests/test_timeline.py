"""A change's diff told in words (orders.timeline), in the reader's language."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from crm.tests.factories import AddressFactory, UserFactory
from inventory.tests.factories import ProductFactory
from orders.models import OrderEvent, OrderLine
from orders.services import LineChange, order_change
from orders.tests.factories import make_order
from orders.timeline import change_sentences, event_sentences

DIFF = {
    "fields": ["requested_delivery_date", "shipping_address", "lines"],
    "header": [
        {"field": "requested_delivery_date", "from": "2026-03-01", "to": "2026-03-15"},
        {
            "field": "shipping_address",
            "from": {
                "recipient": "Li Wei",
                "region": "Guangdong",
                "city": "Guangzhou",
                "line1": "1 Tianhe Road",
            },
            "to": {"recipient": "Li Wei", "region": "Sichuan", "city": "Chengdu", "line1": "8 Renmin Road"},
        },
        {"field": "notes", "from": "", "to": "Gate 3"},
        {"field": "external_reference", "from": "PO-1", "to": ""},
        {"field": "total", "from": "1130.00", "to": "1695.00", "currency": "CNY"},
        {"field": "promised_delivery_date", "from": "2026-03-10", "to": "2026-03-12"},
    ],
    "lines": [
        {"line": 3, "sku": "LED-9", "change": "removed", "from": 4, "to": None, "options": {}},
        {"line": 1, "sku": "TRK-001", "change": "quantity", "from": 2, "to": 3},
        {"line": 1, "sku": "TRK-001", "change": "options", "from": {"cab": "day"}, "to": {"cab": "sleeper"}},
        {"line": 1, "sku": "TRK-001", "change": "price", "from": "100.00", "to": "120.00"},
        {"line": 4, "sku": "CAB-2", "change": "added", "from": None, "to": 2, "options": {"colour": "red"}},
    ],
    "stock_released": 4,
}


def test_every_difference_is_one_english_sentence_naming_who():
    with translation.override("en"):
        sentences = change_sentences(DIFF, actor="Li Wei")

    assert sentences == [
        "LED-9 removed (quantity 4) by Li Wei.",
        "Quantity of TRK-001 changed from 2 to 3 by Li Wei.",
        "Options of TRK-001 changed from cab=day to cab=sleeper by Li Wei.",
        "Unit price of TRK-001 changed from 100.00 to 120.00.",
        "CAB-2 (colour=red) added, quantity 2, by Li Wei.",
        "Requested delivery date changed from 2026-03-01 to 2026-03-15 by Li Wei.",
        "Shipping address changed from Li Wei, Guangdong, Guangzhou, 1 Tianhe Road "
        "to Li Wei, Sichuan, Chengdu, 8 Renmin Road by Li Wei.",
        "Notes set to Gate 3 by Li Wei.",
        "External reference cleared by Li Wei.",
        "Total changed from 1130.00 CNY to 1695.00 CNY.",
        "Promised delivery date changed from 2026-03-10 to 2026-03-12.",
        "4 reserved units went back to stock.",
    ]


def test_without_an_actor_the_sentences_name_nobody():
    with translation.override("en"):
        sentences = change_sentences(DIFF, actor=None)

    assert sentences[1] == "Quantity of TRK-001 changed from 2 to 3."
    assert not any(" by " in sentence for sentence in sentences)


def test_an_entry_from_before_the_diff_names_its_fields():
    with translation.override("en"):
        assert change_sentences({"fields": ["notes", "lines"]}, actor="Amy Wu") == [
            "Changed by Amy Wu: Notes, lines."
        ]
        assert change_sentences({}, actor=None) == []


def test_in_chinese_the_same_differences_are_told_with_the_same_values():
    with translation.override("zh-hans"):
        sentences = change_sentences(DIFF, actor="李伟")

    # The wording is translated by the lead (locale/); the structure and the values are fixed here.
    assert len(sentences) == 12
    assert all(value in sentences[1] for value in ("TRK-001", "2", "3", "李伟"))
    # Field names come from the models' translated verbose names.
    assert "要求交货日期" in sentences[5]
    assert "2026-03-15" in sentences[5]
    assert "Chengdu" in sentences[6]


@pytest.mark.django_db
def test_a_real_change_is_told_from_its_timeline_entry():
    chair = ProductFactory(sku="CHAIR-01")
    order = make_order(
        products=[chair], quantities=[2], requested_delivery_date=timezone.localdate() + dt.timedelta(days=9)
    )
    AddressFactory(customer=order.customer, city="Chengdu", is_default_shipping=False)
    line = OrderLine.objects.get(order=order)
    actor = UserFactory(first_name="Wei", last_name="Li")

    order_change(
        order_id=order.pk,
        actor=actor,
        expected_version=order.version,
        lines=[LineChange(line_id=line.pk, quantity=3)],
        requested_delivery_date=None,
    )

    event = OrderEvent.objects.select_related("actor").get(order=order, kind="order.updated")
    with translation.override("en"):
        sentences = event_sentences(event)
    assert sentences[0] == "Quantity of CHAIR-01 changed from 2 to 3 by Wei Li."
    assert sentences[1] == "Requested delivery date cleared by Wei Li."
    assert sentences[2].startswith("Total changed from ")
    approved = OrderEvent.objects.filter(order=order).exclude(kind="order.updated").first()
    assert event_sentences(approved) == []
