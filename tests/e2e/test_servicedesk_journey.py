"""A complaint from filing to rating: the customer files it with a photo, staff note it
internally, answer, take it and resolve it; the customer closes and rates it, and never
sees the internal note.

Service-desk strings may not be translated yet, so the journey finds links, forms and
buttons by their addresses, names and classes, and checks what it typed itself.
"""

import base64
import re
from types import SimpleNamespace

import pyotp
import pytest
from django.core import mail
from PIL import Image, ImageDraw

from tests.factories import (
    PASSWORD,
    MembershipFactory,
    ServicePointFactory,
    UserFactory,
    complaint_type,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STAFF_EMAIL = "bok@example.pl"
STAFF_PASSWORD = "Okienko-demo-2026"

INVOICE = "FV/2026/05/000417"
DESCRIPTION = "Faktura liczy zużycie za dwa miesiące, a odczyt był po jednym."
NOTE = "Notatka tylko dla zespołu: sprawdzić odczyt z 12 maja w ERP."
REPLY = "Sprawdziliśmy fakturę i odczyt; wystawimy korektę."
RESOLUTION = "Korekta faktury wystawiona."
RATING_COMMENT = "Szybko i konkretnie, dziękuję."


def complaint_desk(django_user_model) -> SimpleNamespace:
    """The complaint type of tests/servicedesk/conftest.py (the `desk` fixture), nobody
    assigned by routing; an owner of a customer with one service point; a superuser of
    the desk with a confirmed TOTP device."""
    from django.contrib.auth.models import Group
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from servicedesk.models import Team

    group = Group.objects.create(name="Reklamacje")
    complaint = complaint_type(team=Team.objects.create(group=group))
    owner = MembershipFactory(role="owner", user=UserFactory(email="maria@example.pl"))
    point = ServicePointFactory(customer=owner.customer, postal_code="05-500", city="Piaseczno")
    staff = django_user_model.objects.create_superuser(
        STAFF_EMAIL, STAFF_PASSWORD, first_name="Barbara", last_name="Obsługa"
    )
    group.user_set.add(staff)
    device = TOTPDevice.objects.create(user=staff, name="default", confirmed=True)
    return SimpleNamespace(
        complaint=complaint,
        owner=owner,
        point=point,
        staff=staff,
        staff_totp=pyotp.TOTP(base64.b32encode(device.bin_key).decode()),
    )


def meter_photo(path):
    """A real PNG, as a phone would send one: a photo of the meter, more or less."""
    image = Image.new("RGB", (640, 480), (236, 240, 244))
    draw = ImageDraw.Draw(image)
    draw.rectangle((120, 140, 520, 340), fill=(40, 44, 52), outline=(0, 0, 0), width=6)
    for digit in range(6):
        left = 150 + digit * 60
        draw.rectangle((left, 200, left + 44, 280), fill=(250, 250, 250))
    image.save(path, format="PNG")
    return path


def sign_in(page, email: str, password: str, totp=None) -> None:
    """On the login page the browser is on: password, then the code when one is asked."""
    page.fill("input[name=auth-username]", email)
    page.fill("input[name=auth-password]", password)
    page.get_by_role("button", name="Dalej").click()
    if totp is not None:
        page.fill("input[name=token-otp_token]", totp.now())
        page.get_by_role("button", name="Dalej").click()


def whole_admin_page(page, screenshot, name: str) -> None:
    """Wagtail's admin scrolls inside its own container, so a full-page screenshot would
    stop at the window: the window is made as tall as the content for the picture."""
    size = page.viewport_size
    height = page.evaluate(
        "Math.max(...[...document.querySelectorAll('*')].map(e => e.scrollHeight))"
    )
    page.set_viewport_size({"width": size["width"], "height": max(height, size["height"])})
    screenshot(page, name)
    page.set_viewport_size(size)


def staff_form(page, action: str):
    """One of the forms on the admin request page, told apart by its hidden `action`."""
    return page.locator(f"form:has(input[name=action][value={action}])")


def submit_staff_form(page, action: str) -> None:
    with page.expect_navigation():
        staff_form(page, action).locator("button[type=submit]").click()
    assert page.locator(".messages li.success").count() == 1, page.locator("main").inner_text()


def test_complaint_from_filing_with_a_photo_to_the_customers_rating(
    live_server, home_page, django_user_model, browser, page, screenshot, tmp_path
):
    from servicedesk.models import Attachment, Message, Request

    desk = complaint_desk(django_user_model)
    base = live_server.url
    photo = meter_photo(tmp_path / "licznik.png")

    # 1. The customer finds the desk in the menu and files a complaint.
    page.goto(base + "/account/login/")
    sign_in(page, desk.owner.user.email, PASSWORD)
    page.wait_for_url(base + "/account/")
    page.locator(".account-nav a[href='/account/requests/']").click()
    page.wait_for_url(base + "/account/requests/")
    page.locator("a.button[href='/account/requests/new/']").click()
    page.wait_for_url(base + "/account/requests/new/")
    page.locator("a[href='/account/requests/new/reklamacja/']").click()
    form_url = base + "/account/requests/new/reklamacja/"
    page.wait_for_url(form_url)

    # The description is required: left empty, it is asked for under its field.
    page.fill("#id_invoice", INVOICE)
    page.select_option("#id_reason", "Za wysoka kwota")
    page.locator("form.form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.url == form_url
    errors = page.locator(".field__error")
    assert errors.count() == 1
    assert page.locator(".field--error", has=page.locator("#id_what")).count() == 1
    assert page.locator("#id_what_error").is_visible()
    assert page.input_value("#id_invoice") == INVOICE  # what was typed is kept
    assert not Request.objects.exists()

    page.fill("#id_what", DESCRIPTION)
    page.select_option("#id_point", str(desk.point.public_id))
    page.set_input_files("#id_scan", str(photo))
    screenshot(page, "servicedesk-1-form")
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(base) + r"/account/requests/[0-9a-f-]{36}/$"))

    request = Request.objects.get()
    assert page.url == f"{base}/account/requests/{request.public_id}/"
    assert (request.status, request.service_point, request.filed_by) == (
        "new",
        desk.point,
        desk.owner.user,
    )
    assert request.data["invoice"] == INVOICE and request.data["reason"] == "Za wysoka kwota"
    success = page.locator(".alert--success")
    assert success.count() == 1
    assert request.reference in success.inner_text()
    assert page.locator("dl.facts dd", has_text=request.reference).count() == 1
    assert page.locator("[data-status]").get_attribute("data-status") == "new"
    assert page.locator("[data-deadline]").inner_text().strip()
    assert page.get_by_text(DESCRIPTION).is_visible()
    attachment = Attachment.objects.get(request=request)
    assert (attachment.original_name, attachment.content_type, attachment.internal) == (
        "licznik.png",
        "image/png",
        False,
    )
    with page.expect_download() as download:
        page.locator(f"a[href$='/files/{attachment.public_id}/']").first.click()
    assert download.value.suggested_filename == "licznik.png"
    assert download.value.path().read_bytes() == photo.read_bytes()

    # 2. Staff find it in the queue and work on it, in a browser of their own.
    staff_context = browser.new_context(locale="pl-PL", viewport={"width": 1280, "height": 900})
    staff_page = staff_context.new_page()
    staff_page.goto(base + "/admin/requests/")
    assert "/account/login/" in staff_page.url
    sign_in(staff_page, STAFF_EMAIL, STAFF_PASSWORD, desk.staff_totp)
    staff_page.wait_for_url(base + "/admin/requests/")
    staff_page.get_by_role("link", name=request.reference).click()
    staff_page.wait_for_url(f"{base}/admin/requests/{request.pk}/")
    assert staff_page.get_by_text(DESCRIPTION).is_visible()
    photo_link = staff_page.locator(f"a[href$='/{attachment.public_id}/']")
    assert photo_link.inner_text() == "licznik.png"

    # An internal note first; it stays on the staff side.
    staff_page.fill("textarea[name=reply-body]", NOTE)
    staff_page.check("input[name=reply-internal]")
    submit_staff_form(staff_page, "reply")
    note = staff_page.locator(".servicedesk-thread li[data-internal=true]")
    assert NOTE in note.inner_text()

    # Then a public reply.
    staff_page.fill("textarea[name=reply-body]", REPLY)
    assert not staff_page.is_checked("input[name=reply-internal]")
    submit_staff_form(staff_page, "reply")
    assert REPLY in staff_page.locator(".servicedesk-thread li[data-internal=false]").inner_text()

    # Taking it (new → assigned), working on it, resolving it with a word to the customer.
    staff_page.select_option("select[name=assign-assignee]", str(desk.staff.pk))
    submit_staff_form(staff_page, "assign")
    assert staff_page.locator("dd[data-status]").get_attribute("data-status") == "assigned"
    staff_page.select_option("select[name=status-status]", "in_progress")
    submit_staff_form(staff_page, "status")
    assert staff_page.locator("dd[data-status]").get_attribute("data-status") == "in_progress"
    staff_page.select_option("select[name=status-status]", "resolved")
    staff_page.fill("textarea[name=status-text]", RESOLUTION)
    submit_staff_form(staff_page, "status")
    assert staff_page.locator("dd[data-status]").get_attribute("data-status") == "resolved"
    whole_admin_page(staff_page, screenshot, "servicedesk-2-staff")
    staff_context.close()

    request.refresh_from_db()
    assert (request.status, request.assignee) == ("resolved", desk.staff)
    assert request.first_responded_at is not None
    assert Message.objects.get(request=request, body=NOTE).internal
    assert not any(NOTE in email.body for email in mail.outbox)

    # 3. The customer reads the answer (never the note), accepts it and rates it.
    page.reload()
    assert page.locator("[data-status]").get_attribute("data-status") == "resolved"
    thread = page.locator("ol.thread")
    assert REPLY in thread.inner_text()
    assert RESOLUTION in thread.inner_text()
    assert thread.locator(".thread__item--staff").count() == 2
    assert NOTE not in page.content()
    assert "Notatka tylko dla zespołu" not in page.content()
    assert page.locator("[data-deadline]").count() == 0  # no clock runs once resolved
    screenshot(page, "servicedesk-3-customer-resolved")

    page.locator(f"form[action='/account/requests/{request.public_id}/accept/'] button").click()
    page.wait_for_load_state()
    assert page.url == f"{base}/account/requests/{request.public_id}/"
    assert page.locator(".alert--success").count() == 1
    assert page.locator("[data-status]").get_attribute("data-status") == "closed"

    rate_form = page.locator(f"form[action='/account/requests/{request.public_id}/rate/']")
    rate_form.locator("input[name=rating][value='5']").check()
    rate_form.locator("textarea[name=comment]").fill(RATING_COMMENT)
    rate_form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.url == f"{base}/account/requests/{request.public_id}/"
    assert page.locator(".alert--success").count() == 1
    assert page.locator("form[action$='/rate/']").count() == 0
    assert page.get_by_text(re.compile(r"\b5/5\b")).is_visible()
    assert NOTE not in page.content()
    screenshot(page, "servicedesk-4-rated")

    request.refresh_from_db()
    assert (request.status, request.rating, request.rating_comment) == (
        "closed",
        5,
        RATING_COMMENT,
    )
    assert request.closed_at is not None
    assert page.console_errors == []
