"""The stock admin moves balances only through the services (issue #8).

Fails on main: the change form saved the whole row (on_hand from the form, reserved as loaded), and
there were no Receive/Adjust forms nor a ledger admin.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from inventory.models import MovementKind, StockLevel, StockMovement
from inventory.selectors import stock_drift
from inventory.services import DocumentRef, stock_reserve
from inventory.tests.factories import ProductFactory, StockLevelFactory, WarehouseFactory

pytestmark = pytest.mark.django_db


STOCK_KEEPER = [
    "view_product",
    "view_warehouse",
    "view_stocklevel",
    "add_stocklevel",
    "change_stocklevel",
    "view_stockmovement",
]
STOCK_VIEWER = ["view_stocklevel", "view_stockmovement", "view_warehouse"]


def _staff(codenames, username):
    """A staff user holding these inventory permissions (inventory's tests do not import crm's roles)."""
    user = get_user_model().objects.create_user(username=username, password="x", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="inventory", codename__in=codenames)
    )
    return user


@pytest.fixture
def manager_client(client):
    client.force_login(_staff(STOCK_KEEPER, "keeper"))
    return client


def _counts():
    return (
        sorted(StockLevel.objects.values_list("pk", "on_hand", "reserved")),
        StockMovement.objects.count(),
    )


def test_change_form_saves_the_reorder_point_only(manager_client):
    # given a stock row whose form is open while an order reserves 4
    level = StockLevelFactory(on_hand=10, reorder_point=1)
    url = reverse("admin:inventory_stocklevel_change", args=[level.pk])
    page = manager_client.get(url)
    assert 'name="on_hand"' not in page.content.decode()
    assert 'name="reserved"' not in page.content.decode()
    stock_reserve(
        demands=[(level.product_id, level.warehouse_id, 4)], document=DocumentRef("orders.order", 1)
    )

    # when the form is saved, with on_hand and reserved posted by hand
    response = manager_client.post(url, {"reorder_point": 5, "on_hand": 999, "reserved": 0})

    # then only the reorder point changed, and the reservation made meanwhile is kept
    assert response.status_code == 302
    level.refresh_from_db()
    assert (level.on_hand, level.reserved, level.reorder_point) == (10, 4, 5)
    assert stock_drift() == []


def test_receive_form_calls_the_service(manager_client):
    product, warehouse = ProductFactory(), WarehouseFactory()
    response = manager_client.post(
        reverse("admin:inventory_stocklevel_receive"),
        {"product": product.pk, "warehouse": warehouse.pk, "quantity": 8, "reason": "PO 12"},
    )
    assert response.status_code == 302
    movement = StockMovement.objects.get(product=product)
    assert (movement.kind, movement.on_hand_delta, movement.reason) == (MovementKind.RECEIPT, 8, "PO 12")
    assert movement.actor is not None
    assert StockLevel.objects.get(product=product, warehouse=warehouse).on_hand == 8


def test_adjust_form_below_reserved_shows_a_field_error_and_changes_nothing(manager_client):
    level = StockLevelFactory(on_hand=10, reserved=7)
    before = _counts()
    response = manager_client.post(
        reverse("admin:inventory_stocklevel_adjust"),
        {"product": level.product_id, "warehouse": level.warehouse_id, "delta": -5, "reason": "count"},
    )
    assert response.status_code == 200
    assert "At most 3 can be taken off." in str(response.context["form"].errors["delta"])
    assert _counts() == before


def test_adjust_form_needs_a_reason(manager_client):
    level = StockLevelFactory(on_hand=10)
    before = _counts()
    response = manager_client.post(
        reverse("admin:inventory_stocklevel_adjust"),
        {"product": level.product_id, "warehouse": level.warehouse_id, "delta": 2, "reason": ""},
    )
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert _counts() == before


def test_adjust_form_moves_stock_with_the_reason(manager_client):
    level = StockLevelFactory(on_hand=10)
    manager_client.post(
        reverse("admin:inventory_stocklevel_adjust"),
        {"product": level.product_id, "warehouse": level.warehouse_id, "delta": -2, "reason": "broken"},
    )
    level.refresh_from_db()
    assert level.on_hand == 8
    assert StockMovement.objects.filter(kind=MovementKind.ADJUSTMENT, reason="broken").count() == 1


def test_stock_forms_need_change_permission(client):
    client.force_login(_staff(STOCK_VIEWER, "viewer"))  # may view stock, not change it
    level = StockLevelFactory(on_hand=10)
    before = _counts()
    response = client.post(
        reverse("admin:inventory_stocklevel_receive"),
        {"product": level.product_id, "warehouse": level.warehouse_id, "quantity": 5},
    )
    assert response.status_code == 403
    assert _counts() == before


def test_the_ledger_is_read_only_with_filters(manager_client):
    level = StockLevelFactory(on_hand=3)
    movement = StockMovement.objects.get(product_id=level.product_id)
    changelist = manager_client.get(
        reverse("admin:inventory_stockmovement_changelist"), {"kind__exact": "adjustment"}
    )
    assert changelist.status_code == 200
    assert set(changelist.context["cl"].result_list) == {movement}
    assert manager_client.get(reverse("admin:inventory_stockmovement_add")).status_code == 403
    response = manager_client.post(
        reverse("admin:inventory_stockmovement_change", args=[movement.pk]), {"on_hand_delta": 300}
    )
    assert response.status_code == 403
    movement.refresh_from_db()
    assert movement.on_hand_delta == 3
