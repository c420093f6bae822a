import re

import pytest

pytestmark = pytest.mark.django_db


def test_public_pages_send_the_security_headers(client, home_page):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "object-src 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_public_pages_load_nothing_from_outside(client, home_page):
    html = client.get("/").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources
    external = [s for s in sources if re.match(r"(https?:)?//", s)]
    assert external == []


def test_public_pages_have_no_inline_script(client, home_page):
    html = client.get("/").content.decode()
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", html) is None


def test_api_docs_load_only_local_assets(client, admin_user):
    client.force_login(admin_user)
    for url in ("/api/v1/docs/", "/api/v1/redoc/"):
        html = client.get(url).content.decode()
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert not [s for s in sources if re.match(r"(https?:)?//", s)], url
        assert "fonts.googleapis.com" not in html


def test_only_the_staff_admin_allows_inline_scripts(staff_client, home_page):
    client = staff_client
    admin_csp = client.get("/admin/")["Content-Security-Policy"]
    assert "script-src 'self' 'unsafe-inline'" in admin_csp
    assert "unsafe-inline" not in client.get("/")["Content-Security-Policy"]
    assert "unsafe-inline" not in client.get("/api/v1/")["Content-Security-Policy"]
