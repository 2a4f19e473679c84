"""Every interface answers with the security headers (ASVS 14.4): the Content-Security-Policy (our own
files only, no inline script or style, no framing), Referrer-Policy, Permissions-Policy,
X-Content-Type-Options and X-Frame-Options; production adds HSTS and secure cookies.

On main the CSP and Permissions-Policy headers were missing on every interface, so each test here
failed then.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from crm.roles import ORDER_MANAGER
from crm.services import roles_sync
from orders.tests.api.support import dealer, dealer_order
from tests.admin.conftest import staff_in

ROOT = Path(__file__).resolve().parent.parent


def directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())


def assert_security_headers(response) -> None:
    csp = directives(response)
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["object-src"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["base-uri"] == "'self'"
    assert csp["form-action"] == "'self'"
    # No way back to inline code or other origins.
    assert not re.search(r"unsafe-inline|unsafe-eval|https?:|\*", response["Content-Security-Policy"])
    assert response["Referrer-Policy"] == "same-origin"
    permissions = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in permissions
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.fixture
def anonymous():
    return Client(HTTP_HOST="localhost")


@pytest.mark.django_db
def test_the_portal_login_page_sends_the_security_headers(anonymous):
    response = anonymous.get("/portal/login/")

    assert response.status_code == 200
    assert_security_headers(response)


@pytest.mark.django_db
def test_a_signed_in_portal_page_sends_the_security_headers(client):
    customer, user, _api = dealer()
    order = dealer_order(customer)
    client.force_login(user)

    response = client.get(f"/portal/orders/{order.number}/")

    assert response.status_code == 200
    assert_security_headers(response)


@pytest.mark.django_db
def test_admin_pages_send_the_security_headers(anonymous, client):
    if not Group.objects.filter(name=ORDER_MANAGER).exists():
        roles_sync()
    assert_security_headers(anonymous.get("/admin/login/"))
    client.force_login(staff_in("Order manager", username="manager"))

    response = client.get("/admin/orders/order/")

    assert response.status_code == 200
    assert_security_headers(response)


@pytest.mark.django_db
def test_api_json_responses_send_the_security_headers(anonymous):
    customer, _user, api = dealer()
    order = dealer_order(customer)

    ok = api.get(f"/api/v1/orders/{order.number}/timeline/")
    refused = anonymous.get("/api/v1/orders/")

    assert ok.status_code == 200
    assert ok["Content-Type"].startswith("application/json")
    assert refused.status_code == 401
    assert refused["Content-Type"].startswith("application/json")
    assert_security_headers(ok)
    assert_security_headers(refused)


@pytest.mark.django_db
def test_the_api_docs_page_and_its_init_script_send_the_security_headers(anonymous):
    page = anonymous.get("/api/docs/")
    html = page.content.decode()
    script_url = re.search(r'<script src="(/api/docs/\?[^"]*script[^"]*)"', html)[1].replace("&amp;", "&")
    script = anonymous.get(script_url)

    assert page.status_code == 200
    assert_security_headers(page)
    # Swagger UI starts from a file of its own: no inline <script> or <style> on the page.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()
    assert_security_headers(script)


TEMPLATES = ROOT / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style|\sstyle\s*=", re.IGNORECASE)


def test_templates_hold_no_inline_script_event_handler_or_style():
    offences = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        text = template.read_text()
        for name, pattern in (
            ("inline script", INLINE_SCRIPT),
            ("event handler", EVENT_HANDLER),
            ("inline style", INLINE_STYLE),
            ("javascript: URL", re.compile(r"javascript:", re.IGNORECASE)),
        ):
            offences += [f"{template.relative_to(ROOT)}: {name}: {m[0]}" for m in pattern.finditer(text)]
    assert offences == []


def test_admin_display_code_writes_no_inline_style():
    """HTML built in Python (format_html in the admins) keeps to the policy too: classes, not style=."""
    offences = []
    for source in sorted(ROOT.glob("*/*.py")) + sorted(ROOT.glob("*/*/*.py")):
        if ".venv" in source.parts or "tests" in source.parts or "migrations" in source.parts:
            continue
        text = source.read_text()
        offences += [f"{source.relative_to(ROOT)}" for _m in re.finditer(r"""style=["'{]""", text)]
    assert offences == []


def test_production_adds_hsts_and_secure_cookies(tmp_path):
    """A request to the production settings (over HTTPS, as behind the proxy) gets HSTS and a Secure,
    HttpOnly session cookie and a Secure CSRF cookie besides the headers above."""
    (tmp_path / "var").mkdir()
    script = (
        "import django, json;"
        "django.setup();"
        "from django.test import Client;"
        "r = Client(HTTP_HOST='oms.example.com').get('/portal/login/', secure=True);"
        "c = r.cookies['csrftoken'];"
        "print(json.dumps({'status': r.status_code, 'hsts': r.get('Strict-Transport-Security'),"
        " 'csp': r.get('Content-Security-Policy'), 'csrf_secure': bool(c['secure'])}));"
        "from django.conf import settings as s;"
        "print(json.dumps([s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_SSL_REDIRECT]))"
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "OMS_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x" * 64,
        "ALLOWED_HOSTS": "oms.example.com",
    }
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    response_line, settings_line = result.stdout.strip().splitlines()[-2:]
    response = json.loads(response_line)
    assert response["status"] == 200
    assert response["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert "default-src 'self'" in response["csp"]
    assert response["csrf_secure"] is True
    assert json.loads(settings_line) == [True, True, True, True]
