"""Login, lockout, passwords, sessions and the second factor."""

import hashlib
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from customers.middleware import SESSION_LOGIN_TIME, SESSION_RENEWED
from customers.models import AuditEvent
from tests.conftest import verify_with_second_factor
from tests.factories import CustomerFactory, MembershipFactory, SegmentFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Okienko-demo-2026"


def login(client, email, password, **extra):
    return client.post(
        reverse("two_factor:login") + extra.pop("query", ""),
        {"login_view-current_step": "auth", "auth-username": email, "auth-password": password},
        **extra,
    )


@pytest.fixture
def customer_user(django_user_model):
    user = django_user_model.objects.create_user("jan@example.pl", PASSWORD)
    MembershipFactory(user=user)
    return user


def test_five_failures_lock_the_login_with_a_clear_message(client, customer_user, home_page):
    for _ in range(4):
        assert login(client, "jan@example.pl", "wrong-password").status_code == 200
    fifth = login(client, "jan@example.pl", "wrong-password")
    assert fifth.status_code == 429
    response = login(client, "jan@example.pl", PASSWORD)
    assert response.status_code == 429
    assert "zablokowane na 15 minut" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="locked_out", subject_email="jan@example.pl").exists()
    assert AuditEvent.objects.filter(action="login_failed").count() >= 5


def test_lockout_is_per_login_and_address(client, customer_user, home_page):
    for _ in range(5):
        login(client, "jan@example.pl", "wrong-password")
    other_place = Client(REMOTE_ADDR="10.1.2.3")
    assert login(other_place, "jan@example.pl", PASSWORD).status_code == 302


def test_login_gives_a_new_session_id_and_records_history(client, customer_user, home_page):
    client.get(reverse("two_factor:login"))
    session_before = client.cookies["sessionid"].value
    response = login(client, "jan@example.pl", PASSWORD, HTTP_USER_AGENT="Firefox/140 test")
    assert response.status_code == 302
    assert client.cookies["sessionid"].value != session_before
    html = client.get(reverse("customer:security")).content.decode()
    assert "zalogowanie" in html
    assert "Firefox/140 test" in html


def test_login_never_redirects_to_another_site(client, customer_user, home_page):
    response = login(client, "jan@example.pl", PASSWORD, query="?next=https://evil.example/x")
    assert response.status_code == 302
    assert not response["Location"].startswith("https://evil.example")


def test_login_without_csrf_token_changes_nothing(customer_user, home_page):
    strict = Client(enforce_csrf_checks=True)
    response = login(strict, "jan@example.pl", PASSWORD)
    assert response.status_code == 403
    assert "_auth_user_id" not in strict.session


def test_idle_session_expires_after_thirty_minutes(client, customer_user, home_page):
    response = login(client, "jan@example.pl", PASSWORD)
    assert response.cookies["sessionid"]["max-age"] == 30 * 60


def test_activity_renews_the_idle_limit_at_most_once_a_minute(client, customer_user, home_page):
    login(client, "jan@example.pl", PASSWORD)
    client.get(reverse("customer:dashboard"))
    quiet = client.get(reverse("customer:dashboard"))
    assert "sessionid" not in quiet.cookies  # renewed a moment ago: nothing written
    session = client.session
    session[SESSION_RENEWED] = time.time() - 61
    session.save()
    renewed = client.get(reverse("customer:dashboard"))
    assert renewed.status_code == 200
    assert renewed.cookies["sessionid"]["max-age"] == 30 * 60
    assert client.session[SESSION_RENEWED] > time.time() - 5


def test_session_ends_twelve_hours_after_login_even_when_active(client, customer_user, home_page):
    login(client, "jan@example.pl", PASSWORD)
    session = client.session
    session[SESSION_LOGIN_TIME] = time.time() - 12 * 3600 - 1
    session.save()
    response = client.get(reverse("customer:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor:login"))
    assert "_auth_user_id" not in client.session


def test_sign_out_everywhere_else_ends_the_other_browsers(customer_user, home_page):
    laptop, phone = Client(), Client()
    login(laptop, "jan@example.pl", PASSWORD)
    login(phone, "jan@example.pl", PASSWORD)
    assert phone.get(reverse("customer:dashboard")).status_code == 200
    laptop.post(reverse("customer:end_other_sessions"))
    assert phone.get(reverse("customer:dashboard")).status_code == 302
    assert laptop.get(reverse("customer:dashboard")).status_code == 200


def test_staff_must_set_up_a_second_factor_before_the_admin_opens(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor:setup"))


def test_staff_with_a_verified_second_factor_reaches_the_admin(client, admin_user):
    verify_with_second_factor(client, admin_user)
    assert client.get("/admin/").status_code == 200


def test_a_segment_can_require_a_second_factor_for_its_customers(client, home_page):
    vip = SegmentFactory(code="vip", requires_two_factor=True)
    customer = CustomerFactory()
    customer.segments.set([vip])
    user = MembershipFactory(customer=customer).user
    client.force_login(user)
    response = client.get(reverse("customer:dashboard"))
    assert response["Location"].startswith(reverse("two_factor:setup"))
    verify_with_second_factor(client, user)
    assert client.get(reverse("customer:dashboard")).status_code == 200


def test_wagtail_admin_login_sends_to_the_one_login(client):
    response = client.get("/admin/login/?next=/admin/pages/")
    assert response.status_code == 302
    assert response["Location"] == "/account/login/?next=/admin/pages/"


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Krótkie-1", "password_too_short"),
        ("x" * 129, "password_too_long"),
        ("password1234", "password_too_common"),
        ("123456789012345", "password_entirely_numeric"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password, code):
    with pytest.raises(ValidationError) as error:
        validate_password(password, UserFactory.build(email="anna@example.pl"))
    assert code in [e.code for e in error.value.error_list]
    assert all(message for message in error.value.messages)


def test_strong_password_passes():
    validate_password("Zielona-Lampa-nad-Wisłą-7", UserFactory.build(email="anna@example.pl"))


class _RangeAPI(BaseHTTPRequestHandler):
    """Speaks the Pwned Passwords range protocol for one known-breached password."""

    breached = "Wiosna2026!okienko"

    def do_GET(self):  # noqa: N802 - http.server's naming
        digest = hashlib.sha1(self.breached.encode()).hexdigest().upper()  # noqa: S324
        prefix = self.path.rsplit("/", 1)[-1]
        body = f"{digest[5:]}:4211\r\n0000000000000000000000000000000000A:0\r\n"
        self.send_response(200)
        self.end_headers()
        self.wfile.write((body if prefix == digest[:5] else "").encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def range_api(settings):
    server = HTTPServer(("127.0.0.1", 0), _RangeAPI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.PWNED_PASSWORDS_ENDPOINT = f"http://127.0.0.1:{server.server_port}/range/"
    yield
    server.shutdown()


def test_breached_password_is_refused_through_the_range_api(range_api):
    with pytest.raises(ValidationError, match="wycieku"):
        validate_password(_RangeAPI.breached)
    validate_password("Zielona-Lampa-nad-Wisłą-7")


def test_passwords_are_hashed_with_argon2(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = UserFactory.build()
    user.set_password("Zielona-Lampa-nad-Wisłą-7")
    assert user.password.startswith("argon2")
