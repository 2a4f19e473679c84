import pytest

from portal.tests.conftest import make_user


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get("/portal/")

    assert response.status_code == 302
    assert response["Location"].startswith("/portal/login/?next=")


@pytest.mark.django_db
def test_login_page_renders_the_form(client):
    response = client.get("/portal/login/")

    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content


@pytest.mark.django_db
def test_a_user_with_a_panel_sees_it_and_no_admin_link(client):
    client.force_login(make_user("pat", "Panel users"))

    response = client.get("/portal/")

    assert response.status_code == 200
    assert b'id="dealer-panel"' in response.content
    assert b'href="/admin/"' not in response.content


@pytest.mark.django_db
def test_staff_see_a_link_to_the_admin(client):
    client.force_login(make_user("boss", is_staff=True))

    response = client.get("/portal/")

    assert b'href="/admin/"' in response.content
    assert b"Nothing here yet" not in response.content


@pytest.mark.django_db
def test_a_user_with_no_role_gets_a_friendly_page(client, plain_user):
    client.force_login(plain_user)

    response = client.get("/portal/")

    assert response.status_code == 200
    assert b"Nothing here yet" in response.content
    assert b'id="dealer-panel"' not in response.content
