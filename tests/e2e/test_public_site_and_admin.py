import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ADMIN_EMAIL = "admin@example.pl"
ADMIN_PASSWORD = "Okienko-demo-2026"


def test_home_page_in_polish_then_english(live_server, home_page, page, screenshot):
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "pl"
    assert page.get_by_role("link", name="Zaloguj się do portalu klienta").is_visible()
    screenshot(page, "home-pl")

    page.get_by_role("button", name="EN").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("link", name="Log in to the customer portal").is_visible()
    screenshot(page, "home-en")
    assert page.console_errors == []


def test_skip_link_is_the_first_stop_for_the_keyboard(live_server, home_page, page):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Przejdź do treści"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


def test_home_page_fits_a_phone_screen(live_server, home_page, browser, screenshot):
    context = browser.new_context(locale="pl-PL", viewport={"width": 360, "height": 740})
    phone = context.new_page()
    phone.goto(live_server.url + "/")
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    screenshot(phone, "home-phone")
    context.close()
    assert overflow <= 0


def test_staff_logs_into_the_wagtail_admin_with_a_totp_code(
    live_server, home_page, django_user_model, page, screenshot
):
    import base64

    import pyotp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    admin = django_user_model.objects.create_superuser(
        ADMIN_EMAIL, ADMIN_PASSWORD, first_name="Adam", last_name="Administrator"
    )
    device = TOTPDevice.objects.create(user=admin, name="default", confirmed=True)
    totp = pyotp.TOTP(base64.b32encode(device.bin_key).decode())

    page.goto(live_server.url + "/admin/")
    assert "/account/login/" in page.url
    page.fill("input[name=auth-username]", ADMIN_EMAIL)
    page.fill("input[name=auth-password]", ADMIN_PASSWORD)
    page.get_by_role("button", name="Dalej").click()
    page.fill("input[name=token-otp_token]", totp.now())
    screenshot(page, "admin-login-token")
    page.get_by_role("button", name="Dalej").click()
    page.wait_for_url(live_server.url + "/admin/")
    assert page.get_by_text("Adam").first.is_visible()
    screenshot(page, "admin-dashboard")

    page.goto(live_server.url + f"/admin/pages/{home_page.pk}/edit/")
    assert page.locator("input[name=hero_title]").input_value() == home_page.hero_title
    screenshot(page, "admin-edit-home")
    # The scheduling dialog's date-time choosers start from inline scripts the policy
    # allows by hash: the picker exists only if they ran.
    assert page.locator(".xdsoft_datetimepicker").count() >= 2

    from home.models import FormPage

    form = FormPage(title="Zgłoszenie", slug="zgloszenie", to_address="bok@example.pl")
    home_page.add_child(instance=form)
    page.goto(live_server.url + f"/admin/pages/{form.pk}/edit/")
    page.locator("#id_form_fields-ADD").click()
    assert page.locator("input[name=form_fields-0-label]").is_visible()

    csp_violations = [e for e in page.console_errors if "Content Security Policy" in e]
    assert csp_violations == [], "\n".join(page.console_errors)


def test_staff_without_a_second_factor_is_sent_to_set_one_up(
    live_server, home_page, django_user_model, page
):
    django_user_model.objects.create_superuser(ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto(live_server.url + "/admin/")
    page.fill("input[name=auth-username]", ADMIN_EMAIL)
    page.fill("input[name=auth-password]", ADMIN_PASSWORD)
    page.get_by_role("button", name="Dalej").click()
    page.wait_for_url("**/account/two_factor/setup/**")
    page.goto(live_server.url + "/admin/pages/")
    assert "/account/two_factor/setup/" in page.url
