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


def test_no_page_allows_inline_scripts_the_admin_included(staff_client, home_page):
    client = staff_client
    assert "unsafe-inline" not in client.get("/admin/")["Content-Security-Policy"]
    assert "unsafe-inline" not in client.get("/")["Content-Security-Policy"]
    assert "unsafe-inline" not in client.get("/api/v1/")["Content-Security-Policy"]


def test_security_txt_names_the_contact_and_expires_within_a_year(client, settings):
    """RFC 9116: Contact and Expires are required; Expires less than a year ahead."""
    from datetime import UTC, datetime, timedelta

    settings.SECURITY_CONTACT = "mailto:security@example.pl"
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    fields = dict(line.split(": ", 1) for line in response.content.decode().splitlines())
    assert fields["Contact"] == "mailto:security@example.pl"
    expires = datetime.strptime(fields["Expires"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert datetime.now(UTC) < expires < datetime.now(UTC) + timedelta(days=365)
    assert fields["Canonical"] == "http://testserver/.well-known/security.txt"
    assert fields["Preferred-Languages"] == "pl, en"


def test_without_a_contact_there_is_no_security_txt(client, settings):
    settings.SECURITY_CONTACT = ""
    assert client.get("/.well-known/security.txt").status_code == 404
