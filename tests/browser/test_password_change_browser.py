"""A dealer changes the password on a phone-sized screen (390 px wide), in a real browser."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import sync_playwright

from crm.tests.factories import dealer_user
from tests.browser.test_portal_browser import CHROMIUM, CHROMIUM_ARGS, IN_CI

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone_page():
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium)"
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport=PHONE, locale="en-US")
        page.set_default_timeout(15_000)
        yield page
        browser.close()


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_dealer_changes_the_password_from_the_user_menu_on_a_phone(live_server, phone_page, tmp_path):
    user = dealer_user(username="dora")
    page = phone_page

    page.goto(f"{live_server.url}/portal/login/")
    page.fill("#id_username", "dora")
    page.fill("#id_password", "pass12345!")
    page.click("button[type=submit]:has-text('Sign in')")
    page.wait_for_url(f"{live_server.url}/portal/")

    page.click(".topbar >> text=Change password")
    page.wait_for_selector("#password-change-form")
    page.screenshot(path=str(tmp_path / "password-change-390.png"), full_page=True)
    assert fits_the_screen(page)
    assert page.locator("#language-select").bounding_box()["width"] >= 60  # the menu wraps, not squeezes
    page.fill("#id_old_password", "pass12345!")
    page.fill("#id_new_password1", "tqv7-kzm4-wx-long")
    page.fill("#id_new_password2", "tqv7-kzm4-wx-long")
    page.click("#password-change-form button[type=submit]")
    page.wait_for_selector("#password-change-done")
    page.screenshot(path=str(tmp_path / "password-changed-390.png"), full_page=True)

    assert fits_the_screen(page)
    assert get_user_model().objects.get(pk=user.pk).check_password("tqv7-kzm4-wx-long")
    page.click("text=Back to the home page")
    page.wait_for_url(f"{live_server.url}/portal/")
