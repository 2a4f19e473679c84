"""Review in the admin (issue #9): rules written as data and checked field by field, the approvals on
the order page and the review screen, decisions through the buttons and bulk actions with the version
shown, and the list of approvals waiting for a user's groups."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from crm.roles import FINANCE, ORDER_MANAGER, PRODUCTION_SCHEDULER, SALES_DIRECTOR
from orders.models import ApprovalStatus, Order, OrderApproval, ReviewRule
from orders.services import order_review_open
from orders.states import OrderStatus
from orders.tests.factories import make_order, recount_commitments
from orders.tests.review import make_rule, only_rules, order_worth, role, staff_in, total_above

S = OrderStatus
A = ApprovalStatus
RULES = "admin:orders_reviewrule_changelist"


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def director_client(client, roles):
    client.force_login(staff_in(SALES_DIRECTOR, username="director"))
    return client


def _rule_form(**overrides):
    data = {
        "name": "Large order",
        "description": "",
        "is_active": "on",
        "condition": '{"all": [{"field": "order_total", "op": "gt", "value": 1000000}]}',
        "role": role(ORDER_MANAGER).pk,
        "level": 1,
        "sort_order": 0,
    }
    return data | overrides


# --- rules -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sales_director_adds_a_rule_and_sees_it_in_words(director_client):
    response = director_client.post(reverse("admin:orders_reviewrule_add"), _rule_form())

    assert response.status_code == 302
    rule = ReviewRule.objects.get(name="Large order")
    assert rule.condition == {"all": [{"field": "order_total", "op": "gt", "value": 1000000}]}
    page = director_client.get(reverse(RULES)).content.decode()
    assert "order total is above 1,000,000" in page


@pytest.mark.django_db
def test_a_faulty_condition_is_shown_on_the_field_and_nothing_is_saved(director_client):
    before = ReviewRule.objects.count()
    bad = (
        '{"all": [{"field": "colour", "op": "eq", "value": "red"},'
        ' {"field": "order_total", "op": "gt", "value": "x"}]}'
    )

    response = director_client.post(
        reverse("admin:orders_reviewrule_add"),
        _rule_form(condition=bad, role=role("Logistics specialist").pk),
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert any("condition.all[0].field: Unknown field 'colour'" in e for e in errors["condition"])
    assert any("condition.all[1].value: Give a number." in e for e in errors["condition"])
    assert any("cannot review orders" in e for e in errors["role"])
    assert ReviewRule.objects.count() == before


@pytest.mark.django_db
def test_an_order_manager_sees_the_rules_but_cannot_change_them(manager_client):
    assert manager_client.get(reverse(RULES)).status_code == 200
    response = manager_client.post(reverse("admin:orders_reviewrule_add"), _rule_form())

    assert response.status_code == 403
    assert not ReviewRule.objects.filter(name="Large order").exists()


@pytest.mark.django_db
def test_a_rule_shows_how_many_recent_orders_it_matches(director_client):
    rule = make_rule("Big", total_above(1_000_000))
    big, _small = order_worth(2_000_000), order_worth(10)

    page = director_client.get(reverse("admin:orders_reviewrule_change", args=[rule.pk])).content.decode()

    assert "1 of the last 2 orders" in page
    assert big.number in page


# --- decisions through the order screens ---------------------------------------------------------------


@pytest.fixture
def rules(roles):
    return only_rules(
        make_rule("Large order", total_above(1_000_000), ORDER_MANAGER),
        make_rule("Very large order", total_above(5_000_000), SALES_DIRECTOR, level=2),
        make_rule(
            "Custom build",
            {"all": [{"field": "has_custom_build_line", "op": "is_true"}]},
            PRODUCTION_SCHEDULER,
        ),
    )


@pytest.mark.django_db
def test_the_order_page_and_the_review_screen_show_the_steps(rules, manager_client):
    order = order_review_open(order_id=order_worth(6_000_000).pk)

    for url in (
        reverse("admin:orders_order_change", args=[order.pk]),
        reverse("admin:orders_order_review", args=[order.pk]),
    ):
        page = manager_client.get(url).content.decode()
        assert "Waiting for level 1: Order manager." in page
        assert "Very large order" in page


@pytest.mark.django_db
def test_the_approve_button_records_a_step_and_says_what_still_waits(rules, manager_client):
    order = order_review_open(order_id=order_worth(6_000_000).pk)
    url = reverse("admin:orders_order_transition", args=[order.pk, "approve"])

    response = manager_client.post(url, {"version": order.version, "reason": "ok for us"})

    order.refresh_from_db()
    assert order.status == S.IN_REVIEW
    step = OrderApproval.objects.get(order=order, level=1)
    assert (step.status, step.comment, step.order_version) == (A.APPROVED, "ok for us", order.version)
    assert any("is now “In review”" in m for m in _messages(response))


@pytest.mark.django_db
def test_the_wrong_role_is_told_who_approves_and_nothing_changes(rules, client):
    order = order_review_open(order_id=order_worth(2_000_000).pk)
    client.force_login(staff_in(FINANCE))
    url = reverse("admin:orders_order_transition", args=[order.pk, "approve"])

    response = client.post(url, {"version": order.version, "reason": ""})

    assert Order.objects.get(pk=order.pk).version == order.version
    assert OrderApproval.objects.get(order=order).status == A.PENDING
    assert any("waits for approval by Order manager (level 1)" in m for m in _messages(response))


@pytest.mark.django_db
def test_bulk_approval_by_the_scheduler_decides_only_custom_build_steps(rules, client):
    custom = order_worth(100)
    custom.lines.update(is_custom_build=True)
    recount_commitments()
    custom = order_review_open(order_id=custom.pk)
    large = order_review_open(order_id=order_worth(2_000_000).pk)
    client.force_login(staff_in(PRODUCTION_SCHEDULER))

    response = client.post(
        reverse("admin:orders_order_changelist"),
        {
            "action": "approve",
            "index": 0,
            "reason": "",
            "_selected_action": [custom.pk, large.pk],
            f"_version_{custom.pk}": custom.version,
            f"_version_{large.pk}": large.version,
        },
    )

    assert Order.objects.get(pk=custom.pk).status == S.APPROVED
    assert Order.objects.get(pk=large.pk).status == S.IN_REVIEW
    assert any(large.number in m and "Order manager" in m for m in _messages(response))


@pytest.mark.django_db
def test_request_changes_needs_a_reason_and_sends_the_order_back_to_draft(rules, manager_client):
    order = order_review_open(order_id=order_worth(2_000_000).pk)
    url = reverse("admin:orders_order_transition", args=[order.pk, "request_changes"])

    refused = manager_client.post(url, {"version": order.version, "reason": ""})
    assert refused.status_code == 200
    assert Order.objects.get(pk=order.pk).status == S.IN_REVIEW

    manager_client.post(url, {"version": order.version, "reason": "Two deliveries, please."})

    order.refresh_from_db()
    assert order.status == S.DRAFT
    assert order.events.get(kind="order.changes_requested").note == "Two deliveries, please."


@pytest.mark.django_db
def test_reopen_is_offered_for_rejected_orders_only(rules, manager_client):
    order = order_review_open(order_id=order_worth(2_000_000).pk)
    keys = {
        link["key"]
        for link in manager_client.get(reverse("admin:orders_order_change", args=[order.pk])).context[
            "transition_links"
        ]
    }

    assert "request_changes" in keys
    assert "reopen" not in keys


@pytest.mark.django_db
def test_the_waiting_list_shows_a_user_the_steps_of_their_groups(rules, client):
    order_review_open(order_id=order_worth(2_000_000).pk)
    custom = make_order()
    custom.lines.update(is_custom_build=True)
    recount_commitments()
    order_review_open(order_id=custom.pk)
    client.force_login(staff_in(PRODUCTION_SCHEDULER))

    response = client.get(reverse("admin:orders_orderapproval_changelist"), {"mine": "1"})

    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert [(step.order_id, step.rule_name) for step in shown] == [(custom.pk, "Custom build")]
