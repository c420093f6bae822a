"""HTTP hardening: private answers are never cached, production sends the security headers
and cookie flags, sign-in rotates the session, redirects stay on the site and every POST
needs the CSRF token.

Routes are gathered from the URL resolver, as in the IDOR suite: a page added to the
customer area or the API is probed without a change here, and a route elsewhere fails the
suite until it is taught below (probed, or excepted with the reason).
"""

import json
import os
import re
import subprocess
import sys
import uuid
from datetime import timedelta
from importlib import import_module
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from customers.models import PersonalAccessToken
from tests.factories import MembershipFactory
from tests.security.test_idor import CUSTOMER_NAMESPACES, OBJECT_KWARGS, customer_routes

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "Okienko-demo-2026"
EVIL_TARGETS = [
    "https://evil.example/",
    "//evil.example",
    "/\\evil.example",
    "javascript:alert(1)",
    "https:evil.example",
    "\\\\evil.example",
]


def cache_control(response) -> set[str]:
    return {word.strip().lower() for word in response.get("Cache-Control", "").split(",")}


def own_url(name: str, kwargs, side) -> str:
    return reverse(name, kwargs={k: OBJECT_KWARGS[k](side) for k in kwargs})


def probed_customer_routes():
    """Customer-area and API routes, without DRF's `.json` twins of routes probed anyway."""
    return [(name, kwargs) for name, kwargs in customer_routes() if "format" not in kwargs]


# 1. Private answers: a shared proxy or the browser's disk must never keep them.


def test_every_signed_in_page_and_download_is_private_and_not_stored(
    client, two_customers, home_page
):
    a = two_customers.a
    client.force_login(a.owner)
    cacheable, downloads, pages = [], 0, 0
    routes = probed_customer_routes()
    for name, kwargs in routes:
        response = client.get(own_url(name, kwargs, a))
        if response.status_code == 200:
            if response["Content-Type"].startswith("text/html"):
                pages += 1
            elif not response["Content-Type"].startswith("application/json"):
                downloads += 1
        if not {"private", "no-store"} <= cache_control(response):
            cacheable.append((name, response.status_code, response.get("Cache-Control")))
    # A Wagtail page read by a signed-in customer may show what only their segment sees.
    page = client.get(home_page.url)
    if not {"private", "no-store"} <= cache_control(page):
        cacheable.append(("wagtail_serve", page.status_code, page.get("Cache-Control")))
    assert cacheable == []
    # The walk reached the real pages and files, not only refusals.
    assert len(routes) > 90 and pages > 40 and downloads >= 10


def test_api_answers_to_a_personal_access_token_are_private_and_not_stored(
    client, two_customers, home_page
):
    a = two_customers.a
    _, raw = PersonalAccessToken.issue(
        user=a.owner, name="hardening", scope="read", expires_at=timezone.now() + timedelta(1)
    )
    cacheable, answered = [], 0
    for name, kwargs in probed_customer_routes():
        if not name.startswith("api-v1:"):
            continue
        response = client.get(own_url(name, kwargs, a), HTTP_AUTHORIZATION=f"Bearer {raw}")
        answered += response.status_code == 200
        if not {"private", "no-store"} <= cache_control(response):
            cacheable.append((name, response.status_code, response.get("Cache-Control")))
    assert cacheable == []
    assert answered > 20


def test_an_anonymous_public_page_stays_cacheable(client, home_page):
    """The marking is for signed-in users only: the page cache keeps strangers' pages."""
    response = client.get(home_page.url)
    assert response.status_code == 200
    assert not {"private", "no-store"} & cache_control(response)


# 2. Production settings: HTTPS only, cookies out of scripts' and other sites' reach.

PRODUCTION_NAMES = [
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "X_FRAME_OPTIONS",
    "SESSION_COOKIE_NAME",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_NAME",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_SAMESITE",
    "LANGUAGE_COOKIE_SECURE",
    "CONTENT_SECURITY_POLICY",
]
# Loaded in a process of its own: production.py changes the policy dict it imports from
# base.py, which this process's settings share.
PRODUCTION_PROBE = """
import json, django
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError
django.setup()
try:
    call_command("check", deploy=True, fail_level="WARNING", verbosity=0)
    deploy_check = "ok"
except SystemCheckError as error:
    deploy_check = str(error)
names = json.loads(input())
print(json.dumps({
    "settings": {name: getattr(settings, name) for name in names},
    "deploy_check": deploy_check,
}, default=str))
"""


@pytest.fixture(scope="module")
def production():
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SECURE_", "PYTEST_"))
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="production-probe-" + "k" * 50,
        ALLOWED_HOSTS="portal.example.pl",
        DATABASE_URL="sqlite:////nonexistent/production-probe.sqlite3",
    )
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE],
        input=json.dumps(PRODUCTION_NAMES),
        capture_output=True,
        text=True,
        cwd=REPO,
        env=environment,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_settings_secure_cookies_and_transport(production):
    values = production["settings"]
    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SECURE_HSTS_SECONDS"] >= 60 * 60 * 24 * 365
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["SECURE_REFERRER_POLICY"] == "strict-origin-when-cross-origin"
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] in ("Lax", "Strict")
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SAMESITE"] in ("Lax", "Strict")
    assert values["LANGUAGE_COOKIE_SECURE"] is True
    # A __Host- cookie is refused by browsers unless Secure, for "/" and for no other host.
    assert values["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert values["CSRF_COOKIE_NAME"].startswith("__Host-")
    assert "unsafe-inline" not in " ".join(
        values["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["script-src"]
    )


def test_production_settings_pass_the_deployment_check(production):
    assert production["deploy_check"] == "ok"


@pytest.fixture
def production_http(production):
    """The test settings with production's security settings on top, over HTTPS."""
    with override_settings(**production["settings"]):
        yield {"secure": True, "HTTP_X_FORWARDED_PROTO": "https"}


def set_cookie(response, name):
    assert name in response.cookies, f"{name} was not set"
    return response.cookies[name]


def test_production_portal_answers_carry_the_security_headers_and_cookie_flags(
    production_http, django_user_model, home_page
):
    user = django_user_model.objects.create_user("jan@example.pl", PASSWORD)
    MembershipFactory(user=user)
    client = Client()
    login_page = client.get(reverse("two_factor:login"), **production_http)
    assert login_page.status_code == 200
    signed_in = client.post(
        reverse("two_factor:login"),
        {"login_view-current_step": "auth", "auth-username": user.email, "auth-password": PASSWORD},
        **production_http,
    )
    assert signed_in.status_code == 302
    dashboard = client.get(reverse("customer:dashboard"), **production_http)
    assert dashboard.status_code == 200
    for response in (login_page, signed_in, dashboard):
        assert response["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains; preload"
        )
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert response["X-Frame-Options"] == "DENY"
    for response in (login_page, dashboard):
        policy = csp_directives(response)
        assert policy["script-src"] == ["'self'"]
        assert "upgrade-insecure-requests" in policy
    csrf_cookie = set_cookie(login_page, "__Host-csrftoken")
    assert csrf_cookie["secure"] and csrf_cookie["path"] == "/" and not csrf_cookie["domain"]
    assert csrf_cookie["samesite"] == "Lax"
    session_cookie = set_cookie(signed_in, "__Host-sessionid")
    assert session_cookie["secure"] and session_cookie["httponly"]
    assert session_cookie["path"] == "/" and not session_cookie["domain"]
    assert session_cookie["samesite"] == "Lax"


def test_production_sends_plain_http_to_https(production_http, home_page):
    response = Client().get(reverse("customer:dashboard"))
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def test_the_wagtail_admin_runs_no_inline_script_but_its_widgets(production_http, staff_client):
    """The admin's policy names its widget scripts by hash; 'unsafe-inline' is nowhere."""
    admin = staff_client.get(reverse("wagtailadmin_home"), **production_http)
    assert admin.status_code == 200
    assert "'unsafe-inline'" not in csp_directives(admin)["script-src"]
    assert csp_directives(admin)["script-src"][0] == "'self'"
    assert csp_directives(admin)["object-src"] == ["'none'"]


# 3. Session fixation: a session planted before sign-in is worth nothing after it.


def test_signing_in_gives_a_new_session_key_and_the_old_one_is_dead(
    client, django_user_model, home_page
):
    user = django_user_model.objects.create_user("jan@example.pl", PASSWORD)
    MembershipFactory(user=user)
    client.get(reverse("two_factor:login"))
    planted = client.session
    planted["planted"] = True
    planted.save()
    before = client.cookies[settings.SESSION_COOKIE_NAME].value
    response = client.post(
        reverse("two_factor:login"),
        {"login_view-current_step": "auth", "auth-username": user.email, "auth-password": PASSWORD},
    )
    assert response.status_code == 302
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert client.get(reverse("customer:dashboard")).status_code == 200

    attacker = Client()
    attacker.cookies[settings.SESSION_COOKIE_NAME] = before
    refused = attacker.get(reverse("customer:dashboard"))
    assert refused.status_code == 302
    assert urlsplit(refused["Location"]).path == reverse("two_factor:login")
    assert not import_module(settings.SESSION_ENGINE).SessionStore().exists(before)


# 4. Open redirects: `next=` may only lead somewhere on this site.


def assert_stays_on_site(response, target):
    assert response.status_code == 302, (target, response.status_code)
    location = urlsplit(response["Location"])
    assert not location.scheme and not location.netloc, (target, response["Location"])
    assert location.path.startswith("/"), (target, response["Location"])
    assert not location.path.startswith(("//", "/\\")), (target, response["Location"])
    assert "evil.example" not in location.path


@pytest.fixture
def signed_in_owner(client, two_customers):
    owner = two_customers.a.owner
    owner.set_password(PASSWORD)
    owner.save()
    client.force_login(owner)
    return owner


def probe_login(client, owner, target):
    client.logout()
    return client.post(
        f"{reverse('two_factor:login')}?next={quote(target)}",
        {
            "login_view-current_step": "auth",
            "auth-username": owner.email,
            "auth-password": PASSWORD,
            "next": target,
        },
    )


def probe_wagtail_login(client, owner, target):
    """Wagtail's login for private pages only forwards to the portal's, query and all."""
    client.logout()
    response = client.get(f"{reverse('wagtailcore_login')}?next={quote(target)}")
    assert urlsplit(response["Location"]).path == reverse("two_factor:login")
    return response


def test_wagtail_login_is_no_second_way_in(client, signed_in_owner, home_page):
    client.logout()
    url = reverse("wagtailcore_login")
    response = client.post(url, {"username": signed_in_owner.email, "password": PASSWORD})
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == reverse("two_factor:login")
    assert "_auth_user_id" not in client.session
    forwarded = client.get(f"{url}?next=/customer/")
    assert forwarded["Location"] == f"{reverse('two_factor:login')}?next=/customer/"


def probe_admin_login(client, owner, target):
    """Only forwards to the portal's login, query and all; that view refuses the target."""
    client.logout()
    response = client.get(f"/admin/login/?next={quote(target)}")
    assert urlsplit(response["Location"]).path == reverse("two_factor:login")
    return response


def probe_logout(client, owner, target):
    return client.post(f"{reverse('logout')}?next={quote(target)}", {"next": target})


def probe_set_language_signed_in(client, owner, target):
    return client.post(reverse("set_language"), {"language": "en", "next": target})


def probe_set_language_anonymous(client, owner, target):
    client.logout()
    return client.post(reverse("set_language"), {"language": "en", "next": target})


def probe_switch_customer(client, owner, target):
    customer = owner.memberships.first().customer
    return client.post(reverse("customer:switch"), {"customer": customer.public_id, "next": target})


def probe_confirm_identity(client, owner, target):
    return client.post(
        f"{reverse('customer:confirm_identity')}?next={quote(target)}", {"password": PASSWORD}
    )


NEXT_PROBES = {
    "two_factor:login": probe_login,
    "wagtailcore_login": probe_wagtail_login,
    "admin/login/": probe_admin_login,
    "logout": probe_logout,
    "set_language (signed in)": probe_set_language_signed_in,
    "set_language (anonymous)": probe_set_language_anonymous,
    "customer:switch": probe_switch_customer,
    "customer:confirm_identity": probe_confirm_identity,
}


@pytest.mark.parametrize("target", EVIL_TARGETS)
@pytest.mark.parametrize("view", NEXT_PROBES)
def test_next_never_leads_off_the_site(client, signed_in_owner, home_page, view, target):
    assert_stays_on_site(NEXT_PROBES[view](client, signed_in_owner, target), target)


def test_a_local_next_is_followed_so_the_probes_are_not_vacuous(client, signed_in_owner):
    target = reverse("customer:profile")
    for view in ("two_factor:login", "logout", "customer:switch", "customer:confirm_identity"):
        client.force_login(signed_in_owner)
        assert NEXT_PROBES[view](client, signed_in_owner, target)["Location"] == target, view


NEXT_READING = re.compile(r"""\.get\(\s*["']next["']|redirect_field_name""")


def test_every_view_reading_next_is_probed():
    """The project's own views that read `next` from a request: each has a probe above.

    customers/views.py: the customer switch (POST) and the identity confirmation (GET).
    """
    readers = {}
    apps = [path.parent for path in REPO.glob("*/__init__.py") if path.parent.name != "tests"]
    assert {"customers", "billing", "config", "home"} <= {app.name for app in apps}
    for app in apps:
        for path in app.rglob("*.py"):
            found = len(NEXT_READING.findall(path.read_text()))
            if found:
                readers[str(path.relative_to(REPO))] = found
    assert readers == {"customers/views.py": 2}


# 5. CSRF: a signed-in browser's POST without the token is refused everywhere.

# Routes outside the customer namespaces: how to reach each for the probe.
OTHER_ROUTES = {
    "admin/login/": lambda a: "/admin/login/",
    "_util/login/": lambda a: "/_util/login/",
    "wagtaildocs_serve": lambda a: reverse("wagtaildocs_serve", args=[1, "file.pdf"]),
    "wagtaildocs_authenticate_with_password": lambda a: reverse(
        "wagtaildocs_authenticate_with_password", args=[1]
    ),
    "set_language": lambda a: reverse("set_language"),
    "javascript-catalog": lambda a: reverse("javascript-catalog"),
    "two_factor:login": lambda a: reverse("two_factor:login"),
    "two_factor:setup": lambda a: reverse("two_factor:setup"),
    "two_factor:qr": lambda a: reverse("two_factor:qr"),
    "two_factor:setup_complete": lambda a: reverse("two_factor:setup_complete"),
    "two_factor:backup_tokens": lambda a: reverse("two_factor:backup_tokens"),
    "two_factor:profile": lambda a: reverse("two_factor:profile"),
    "two_factor:disable": lambda a: reverse("two_factor:disable"),
    "logout": lambda a: reverse("logout"),
    "password_reset": lambda a: reverse("password_reset"),
    "password_reset_done": lambda a: reverse("password_reset_done"),
    "password_reset_confirm": lambda a: reverse(
        "password_reset_confirm", kwargs={"uidb64": "MQ", "token": "set-password"}
    ),
    "password_reset_complete": lambda a: reverse("password_reset_complete"),
    "sandbox_payment_page": lambda a: reverse(
        "sandbox_payment_page", kwargs={"payment_id": a.online_payments[0].public_id}
    ),
    "search": lambda a: reverse("search"),
    "healthz": lambda a: reverse("healthz"),
    "security_txt": lambda a: reverse("security_txt"),
    "wagtailcore_authenticate_with_password": lambda a: reverse(
        "wagtailcore_authenticate_with_password", args=[1, 1]
    ),
    "wagtailcore_login": lambda a: reverse("wagtailcore_login"),
    "wagtail_serve": lambda a: "/",
}
# Routes a POST without a token may reach, and why that is safe.
CSRF_EXCEPTIONS = {
    "payment_notification": "called by the payment provider's servers, not a browser; "
    "each notification is checked against the provider's signature",
    "pages:listing": "Wagtail's public content API: read-only (GET), no session auth",
    "pages:detail": "Wagtail's public content API: read-only (GET), no session auth",
    "pages:find": "Wagtail's public content API: read-only (GET), no session auth",
    "images:listing": "Wagtail's public content API: read-only (GET), no session auth",
    "images:detail": "Wagtail's public content API: read-only (GET), no session auth",
    "images:find": "Wagtail's public content API: read-only (GET), no session auth",
    "documents:listing": "Wagtail's public content API: read-only (GET), no session auth",
    "documents:detail": "Wagtail's public content API: read-only (GET), no session auth",
    "documents:find": "Wagtail's public content API: read-only (GET), no session auth",
}
# Not routes, but ways in that skip the check by design:
# - the language switch for a visitor who is not signed in: cached public pages carry no
#   token, and a forged switch only changes the language a stranger reads in (signed-in
#   users are checked, probed below as "set_language");
# - the API with a personal access token: the token travels in a header another site
#   cannot make a browser send, so there is no cookie to ride on.


def other_routes():
    """Names (or the route, when unnamed) of routes outside the customer namespaces and
    the Wagtail admin."""
    found = set()

    def walk(patterns, prefix, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern), entry.namespace or namespace)
            elif isinstance(entry, URLPattern):
                if namespace in CUSTOMER_NAMESPACES or prefix.startswith("admin/"):
                    continue
                if entry.name is None:
                    found.add(prefix + str(entry.pattern))
                else:
                    found.add(f"{namespace}:{entry.name}" if namespace else entry.name)

    walk(get_resolver().url_patterns, "", None)
    return found


def test_every_route_is_probed_for_csrf_or_excepted_with_a_reason():
    assert other_routes() == set(OTHER_ROUTES) | set(CSRF_EXCEPTIONS)


def is_csrf_refusal(response) -> bool:
    if response.status_code != 403:
        return False
    if response["Content-Type"].startswith("application/json"):
        return "CSRF" in response.json()["error"]["message"]
    return b"CSRF" in response.content


def test_every_post_without_the_csrf_token_is_refused(two_customers, home_page):
    a = two_customers.a
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(a.owner)
    urls = {name: own_url(name, kwargs, a) for name, kwargs in probed_customer_routes()}
    urls["api-v1:schema"] = reverse("api-v1:schema")
    urls.update({name: route(a) for name, route in OTHER_ROUTES.items()})
    accepted = []
    for name, url in sorted(urls.items()):
        response = browser.post(url, {"next": "/"})
        if not is_csrf_refusal(response):
            accepted.append((name, response.status_code))
    assert accepted == []
    assert len(urls) > 120
    # Still signed in: no probe ended the session (a logout would mask later refusals).
    assert browser.get(reverse("customer:dashboard")).status_code == 200


def test_the_same_posts_with_the_token_get_through(two_customers, home_page):
    """The refusals above are the CSRF check's, not the views'."""
    a = two_customers.a
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(a.owner)
    token = str(browser.get(reverse("customer:profile")).context["csrf_token"])
    message = a.messages[0]
    api = browser.post(
        reverse("api-v1:message-read", kwargs={"message_id": message.public_id}),
        HTTP_X_CSRFTOKEN=token,
    )
    assert not is_csrf_refusal(api) and api.status_code < 400
    page = browser.post(
        reverse("customer:switch"), {"customer": a.customer.public_id, "csrfmiddlewaretoken": token}
    )
    assert page.status_code == 302


def test_a_personal_access_token_needs_no_csrf_token(two_customers, home_page):
    a = two_customers.a
    _, raw = PersonalAccessToken.issue(
        user=a.owner, name="hardening", scope="write", expires_at=timezone.now() + timedelta(1)
    )
    script = Client(enforce_csrf_checks=True)
    response = script.post(
        reverse("api-v1:message-read", kwargs={"message_id": a.messages[0].public_id}),
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code < 400


def test_an_anonymous_language_switch_needs_no_csrf_token(home_page):
    response = Client(enforce_csrf_checks=True).post(
        reverse("set_language"), {"language": "en", "next": "/"}
    )
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_the_payment_webhook_refuses_an_unsigned_notification(client, settings):
    settings.PAYMENT_PROVIDERS = ["payu"]
    settings.PAYU_POS_ID = "145227"
    settings.PAYU_CLIENT_ID = "145227"
    settings.PAYU_CLIENT_SECRET = "12f071174cb7eb79d4aac5bc2f07563f"
    settings.PAYU_SECOND_KEY = "13a980d4f851f3d9a1cfc792fb1f5e50"
    settings.PAYU_SIGNATURE_ALGORITHM = "MD5"
    response = client.post(
        reverse("payment_notification", kwargs={"provider": "payu"}),
        data=json.dumps({"order": {"orderId": str(uuid.uuid4()), "status": "COMPLETED"}}),
        content_type="application/json",
    )
    assert response.status_code in (400, 403)
