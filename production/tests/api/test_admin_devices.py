"""Shop-floor devices in the admin: the token shown once, revocation (production.admin_devices)."""

import pytest

from crm.tests.factories import UserFactory
from production.models import ShopFloorDevice
from production.services.devices import device_authenticate
from production.tests.factories import PlantFactory
from production.tests.factories_floor import make_device

pytestmark = [pytest.mark.django_db, pytest.mark.urls("production.tests.admin_floor_urls")]
ADD = "/admin/production/shopfloordevice/add/"


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def test_adding_a_device_shows_its_token_once_and_stores_only_its_digest(client, admin_user):
    plant = PlantFactory()
    client.force_login(admin_user)

    response = client.post(ADD, {"plant": plant.pk, "name": "Paint booth"})

    device = ShopFloorDevice.objects.get()
    token = response.context["token"]
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert token.startswith("sfd_")
    assert token in response.content.decode()
    assert token not in (device.token_hash, device.token_prefix)
    assert device_authenticate(token=token) == device
    assert token not in client.get(f"/admin/production/shopfloordevice/{device.pk}/change/").content.decode()


def test_the_revoke_action_stops_the_token(client, admin_user):
    device, token = make_device()
    client.force_login(admin_user)

    client.post(
        "/admin/production/shopfloordevice/",
        {"action": "revoke", "_selected_action": [device.pk]},
    )

    device.refresh_from_db()
    assert not device.is_active
    assert device_authenticate(token=token) is None
