"""A customer activates access with the letter and the e-mail, enrols a second factor,
signs in with it; lockout and roles as a person meets them."""

import base64
import re

import pyotp
import pytest
from django.core import mail
from pypdf import PdfReader

from tests.factories import CustomerFactory, MembershipFactory, ServicePointFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Okienko-demo-2026"
NEW_PASSWORD = "Zielona-Lampa-nad-Wisłą-7"


def sign_in(page, base_url, email, password, totp=None):
    page.goto(base_url + "/account/login/")
    page.fill("input[name=auth-username]", email)
    page.fill("input[name=auth-password]", password)
    page.get_by_role("button", name="Dalej").click()
    if totp is not None:
        page.fill("input[name=token-otp_token]", totp.now())
        page.get_by_role("button", name="Dalej").click()


def test_activation_with_the_letter_and_the_email_then_two_step_login(
    live_server, home_page, django_user_model, browser, page, screenshot
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    customer = CustomerFactory(number="100777", name="Maria Wiśniewska", email="maria@example.pl")
    ServicePointFactory(customer=customer, code="PL0037100777000001")
    admin = django_user_model.objects.create_superuser("admin@example.pl", PASSWORD)
    device = TOTPDevice.objects.create(user=admin, name="default", confirmed=True)
    staff_totp = pyotp.TOTP(base64.b32encode(device.bin_key).decode())

    # Staff print the letter.
    sign_in(page, live_server.url, "admin@example.pl", PASSWORD, staff_totp)
    page.goto(live_server.url + "/admin/portal-access/?numbers=100777")
    page.get_by_role("button", name="Wygeneruj listy").click()
    page.wait_for_selector("[data-batch-status=done]")
    screenshot(page, "activation-1-staff-batch")
    with page.expect_download() as download:
        page.get_by_role("link", name="Pobierz listy (PDF)").click()
    letter = PdfReader(download.value.path())
    letter_text = letter.pages[0].extract_text()
    part_a = re.search(r"Kod, część A\s*([A-Z2-9]{4}-[A-Z2-9]{4})", letter_text).group(1)
    part_b = re.search(r"\b([A-Z2-9]{4}-[A-Z2-9]{4})\b", mail.outbox[-1].body).group(1)
    assert mail.outbox[-1].to == ["maria@example.pl"]
    assert part_a != part_b

    # The customer activates, in a browser of her own.
    context = browser.new_context(locale="pl-PL")
    customer_page = context.new_page()
    customer_page.goto(live_server.url + "/account/activate/")
    customer_page.fill("input[name=customer_number]", "100777")
    customer_page.fill("input[name=part_a]", part_a.lower())
    customer_page.fill("input[name=part_b]", part_b)
    customer_page.fill("input[name=password1]", NEW_PASSWORD)
    customer_page.fill("input[name=password2]", NEW_PASSWORD)
    screenshot(customer_page, "activation-2-form")
    customer_page.get_by_role("button", name="Aktywuj").click()
    customer_page.get_by_role("heading", name="Dostęp jest aktywny").wait_for()
    screenshot(customer_page, "activation-3-done")

    # …enrols an authenticator app…
    customer_page.get_by_role("link", name="Włącz logowanie dwuetapowe").click()
    customer_page.get_by_role("button", name="Dalej").click()
    secret = customer_page.locator("a[href^='otpauth://']").inner_text().strip()
    customer_totp = pyotp.TOTP(secret)
    screenshot(customer_page, "activation-4-totp-setup")
    customer_page.fill("input[name=generator-token]", customer_totp.now())
    customer_page.get_by_role("button", name="Dalej").click()
    customer_page.wait_for_load_state()
    screenshot(customer_page, "activation-5-totp-done")
    assert customer_page.url == live_server.url + "/account/"
    assert TOTPDevice.objects.filter(user__email="maria@example.pl", confirmed=True).exists()

    # …and signs in again with password and code.
    customer_page.context.clear_cookies()
    sign_in(customer_page, live_server.url, "maria@example.pl", NEW_PASSWORD)
    customer_page.fill("input[name=token-otp_token]", customer_totp.now())
    customer_page.get_by_role("button", name="Dalej").click()
    customer_page.wait_for_url(live_server.url + "/account/")
    assert customer_page.get_by_text("PL0037100777000001").first.is_visible()
    screenshot(customer_page, "activation-6-dashboard")
    context.close()


def test_five_failed_logins_show_the_lockout(live_server, home_page, page, screenshot):
    UserFactory(email="jan@example.pl")
    for _ in range(5):
        sign_in(page, live_server.url, "jan@example.pl", "zle-haslo")
    assert page.get_by_role("heading", name="Zbyt wiele nieudanych logowań").is_visible()
    assert page.get_by_text("zablokowane na 15 minut").is_visible()
    screenshot(page, "lockout")


def test_billing_only_user_cannot_open_the_owners_pages(live_server, home_page, page, screenshot):
    customer = CustomerFactory(name="Hurtownia Volt")
    MembershipFactory(customer=customer, role="owner")
    billing = MembershipFactory(
        customer=customer, role="billing", user=UserFactory(email="ksiegowosc@example.pl")
    )
    sign_in(page, live_server.url, billing.user.email, "correct-horse-battery-staple")
    page.wait_for_url(live_server.url + "/account/")
    assert page.get_by_role("link", name="Użytkownicy portalu").count() == 0
    response = page.goto(live_server.url + "/account/users/")
    assert response.status == 403
    assert page.get_by_role("heading", name="Brak dostępu").is_visible()
    screenshot(page, "billing-user-forbidden")
