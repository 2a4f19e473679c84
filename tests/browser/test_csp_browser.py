"""The Content-Security-Policy breaks no page: Debian's chromium opens the portal, the admin and the API
docs, and reports no CSP violation in its console (nor to a `securitypolicyviolation` listener).

Fails on a main without the policy's companions: the docs page's inline script and style, the order
list's inline `style="…"` status badges. Skipped like tests/browser/test_portal_browser.py without
/usr/bin/chromium, except under CI=true.
"""

import os
import re

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import sync_playwright

from crm.roles import ORDER_MANAGER
from crm.services import roles_sync
from crm.tests.factories import AddressFactory, CustomerFactory, UserFactory, dealer_user
from inventory.tests.factories import ProductFactory
from orders.services import order_start_review
from orders.tests.factories import make_order
from tests.browser.test_portal_browser import CHROMIUM, CHROMIUM_ARGS, IN_CI

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

PASSWORD = "pass12345!"


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium)"
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class Watched:
    """A page whose console CSP reports and `securitypolicyviolation` events are collected."""

    def __init__(self, browser):
        self.page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-US")
        self.page.set_default_timeout(15_000)
        self.console: list[str] = []
        self.seen: list[str] = []
        self.page.on("console", lambda message: self.console.append(f"{self.page.url}: {message.text}"))
        # Injected by the browser driver, not by the page, so the policy does not apply to it.
        self.page.add_init_script(
            "window.__csp = [];"
            "document.addEventListener('securitypolicyviolation', e =>"
            " window.__csp.push(location.pathname + ': ' + e.violatedDirective + ' ' + e.blockedURI"
            " + ' ' + (e.sample || '') + ' ' + e.sourceFile + ':' + e.lineNumber));"
        )

    def _goto(self, url: str):
        response = self.page.goto(url)
        assert response is not None
        assert response.ok, (url, response.status)
        assert "default-src 'self'" in response.headers["content-security-policy"], url
        return response

    def goto(self, url: str):
        self.seen += self.page.evaluate("window.__csp || []") if self.page.url.startswith("http") else []
        return self._goto(url)

    def violations(self) -> list[str]:
        reported = [t for t in self.console if re.search(r"Content Security Policy|Refused to", t)]
        return reported + self.seen + self.page.evaluate("window.__csp")

    def log_in(self, url: str, username: str, button: str):
        self.goto(url)
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click(button)
        self.page.wait_for_load_state("load")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_portal_pages_break_no_csp_rule(live_server, browser):
    rep = UserFactory(username="rita")
    customer = CustomerFactory(name="Acme Furniture", sales_rep=rep)
    AddressFactory(customer=customer)
    ProductFactory(sku="CHAIR-01", name="Office chair")
    dealer = dealer_user(customer, username="dan")
    order = make_order(customer=customer, actor=dealer)
    page = Watched(browser)

    page.log_in(f"{live_server.url}/portal/login/", "dan", "button[type=submit]:has-text('Sign in')")
    page.goto(f"{live_server.url}/portal/orders/{order.number}/")
    page.page.wait_for_selector("ol.timeline li")
    page.page.select_option("#language-select", "zh-hans")
    page.page.wait_for_function("document.documentElement.lang === 'zh-hans'")

    assert page.violations() == [], "\n".join(page.violations())


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_rep_order_form_scripts_run_under_the_csp(live_server, browser):
    rep = UserFactory(username="rita")
    AddressFactory(customer=CustomerFactory(name="Acme Furniture", sales_rep=rep))
    page = Watched(browser)

    page.log_in(f"{live_server.url}/portal/login/", "rita", "button[type=submit]:has-text('Sign in')")
    page.goto(f"{live_server.url}/portal/orders/new/")
    rows = page.page.locator("[data-formset] tbody tr").count()
    page.page.click("button[data-add-line]")

    # portal.js (our own static file) ran: the policy lets it, and it added a line.
    assert page.page.locator("[data-formset] tbody tr").count() == rows + 1
    assert page.violations() == [], "\n".join(page.violations())


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_pages_break_no_csp_rule(live_server, browser):
    if not Group.objects.filter(name=ORDER_MANAGER).exists():
        roles_sync()
    manager = UserFactory(username="manager", is_staff=True)
    manager.groups.add(Group.objects.get(name=ORDER_MANAGER))
    order = make_order()
    order_start_review(order_id=order.pk, actor=manager)
    page = Watched(browser)

    page.log_in(f"{live_server.url}/admin/login/", "manager", "input[type=submit]")
    for path in (
        "/admin/",
        "/admin/orders/order/",
        f"/admin/orders/order/{order.pk}/change/",
        "/admin/orders/order/add/",
        f"/admin/orders/order/{order.pk}/transition/approve/",
    ):
        page.goto(f"{live_server.url}{path}")
        page.page.wait_for_load_state("load")
    # The autocomplete (select2) and the calendar widget build their markup in script.
    page.goto(f"{live_server.url}/admin/orders/order/add/")
    page.page.click(".select2-selection")
    page.page.wait_for_selector(".select2-results")
    page.page.click(".datetimeshortcuts a:has-text('Today')")

    assert page.violations() == [], "\n".join(page.violations())


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_api_docs_render_under_the_csp(live_server, browser):
    page = Watched(browser)

    page.goto(f"{live_server.url}/api/docs/")
    page.page.wait_for_selector(".opblock-tag", timeout=30_000)

    assert page.page.locator(".opblock").count() > 0
    assert page.violations() == [], "\n".join(page.violations())
