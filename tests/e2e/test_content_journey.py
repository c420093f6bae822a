"""Content from staff to one customer: an announcement and a message, end to end.

Staff publish an announcement meant for chosen customers and send a message in the
Wagtail admin; the customer finds the announcement on the dashboard and the message in
the inbox, opens it, and staff see it read. A second customer sees neither.

Parts of these screens may not be translated yet, so the journey finds tabs, fields and
buttons by their addresses, names, data attributes and icons, and checks what it typed.
"""

import base64
import re
from types import SimpleNamespace

import pyotp
import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.factories import (
    PASSWORD,
    CustomerFactory,
    MembershipFactory,
    ServicePointFactory,
    UserFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STAFF_EMAIL = "komunikaty@example.pl"
STAFF_PASSWORD = "Okienko-demo-2026"

ANNOUNCEMENT_TITLE = "Zmiana godzin pracy biura obsługi w Piasecznie"
ANNOUNCEMENT_TEXT = "Od poniedziałku biuro przy ul. Kościuszki czynne jest od 7:00 do 15:00."
SUBJECT = "Nowy harmonogram odczytów dla Spółdzielni Zorza"
MESSAGE_TEXT = "Inkasent odwiedzi Państwa budynki w czwartek 14 maja między 8:00 a 12:00."


def content_world(home_page, django_user_model) -> SimpleNamespace:
    """The announcement board under the home page; a customer (the audience) and another
    one, each with an owner and a service point; a superuser with a confirmed TOTP device.

    A superuser publishes past the board's outage workflow; the journey's announcement is
    an important notice, which needs no moderation anyway.
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from announcements.models import AnnouncementIndexPage

    board = AnnouncementIndexPage(title="Komunikaty", slug="komunikaty")
    home_page.add_child(instance=board)
    board.save_revision().publish()

    def customer_with_owner(number: str, name: str, email: str):
        customer = CustomerFactory(number=number, name=name)
        ServicePointFactory(customer=customer, postal_code="05-500", city="Piaseczno")
        owner = MembershipFactory(customer=customer, role="owner", user=UserFactory(email=email))
        return customer, owner.user

    customer, owner = customer_with_owner("700100", "Spółdzielnia Zorza", "maria@example.pl")
    other, other_owner = customer_with_owner("700200", "Wspólnota Lipowa", "jan@example.pl")
    staff = django_user_model.objects.create_superuser(
        STAFF_EMAIL, STAFF_PASSWORD, first_name="Ewa", last_name="Redakcja"
    )
    device = TOTPDevice.objects.create(user=staff, name="default", confirmed=True)
    return SimpleNamespace(
        board=board,
        customer=customer,
        owner=owner,
        other=other,
        other_owner=other_owner,
        staff=staff,
        staff_totp=pyotp.TOTP(base64.b32encode(device.bin_key).decode()),
    )


def sign_in(page, email: str, password: str, totp=None) -> None:
    """On the login page the browser is on: password, then the code when one is asked."""
    page.fill("input[name=auth-username]", email)
    page.fill("input[name=auth-password]", password)
    page.get_by_role("button", name="Dalej").click()
    if totp is not None:
        page.fill("input[name=token-otp_token]", totp.now())
        page.get_by_role("button", name="Dalej").click()


def new_page(browser):
    """A browser of its own (a context: cookies apart), collecting console errors."""
    context = browser.new_context(locale="pl-PL", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.console_errors = []
    page.on(
        "console",
        lambda message: message.type == "error" and page.console_errors.append(message.text),
    )
    return page


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


def open_tab_of(page, field_selector: str) -> None:
    """Show the editor's tab holding a field (tabs are named by translated headings)."""
    panel = page.locator("[role=tabpanel]", has=page.locator(field_selector))
    page.locator(f"a[role=tab][aria-controls='{panel.get_attribute('id')}']").click()
    page.locator(field_selector).wait_for(state="visible")


def type_rich_text(page, field, text: str) -> None:
    """Type into the Draftail editor of a field as a person would: click, then the keys.

    Draftail writes its hidden input a moment after the last key (debounced); the form is
    only sent once the text is in it, as it would be by the time a person clicks on.
    """
    field.locator(".public-DraftEditor-content").click()
    page.keyboard.type(text)
    expect(
        field.locator("input[type=hidden][name$=body], input[type=hidden][name$=-value]")
    ).to_have_value(re.compile(re.escape(text)))


def admin_success(page) -> str:
    messages = page.locator(".messages .success")
    assert messages.count() == 1, page.locator("main").inner_text()
    return messages.inner_text()


def test_staff_announce_and_write_to_one_customer_who_reads_it_and_nobody_else_sees_it(
    live_server, home_page, django_user_model, browser, page, screenshot
):
    from announcements.models import AnnouncementPage
    from customers.models import InboxMessage, MessageReceipt

    world = content_world(home_page, django_user_model)
    base = live_server.url

    # 1. Staff write the announcement under the board, for the first customer only.
    staff_page = new_page(browser)
    staff_page.goto(f"{base}/admin/pages/{world.board.pk}/add_subpage/")
    assert "/account/login/" in staff_page.url
    sign_in(staff_page, STAFF_EMAIL, STAFF_PASSWORD, world.staff_totp)
    # The board takes one page type only, so Wagtail goes straight to its form.
    add_url = f"{base}/admin/pages/add/announcements/announcementpage/{world.board.pk}/"
    staff_page.wait_for_url(add_url)

    staff_page.fill("#id_title", ANNOUNCEMENT_TITLE)
    staff_page.select_option("#id_severity", AnnouncementPage.Severity.IMPORTANT)
    body = staff_page.locator("[data-contentpath=body]").first
    body.locator(".c-sf-add-button").first.click()
    # The paragraph block, told from the heading and the image by its icon.
    staff_page.locator("[role=option]:has(use[href='#icon-pilcrow'])").click()
    type_rich_text(staff_page, body, ANNOUNCEMENT_TEXT)

    open_tab_of(staff_page, "#id_audience")
    staff_page.select_option("#id_audience", AnnouncementPage.Audience.CUSTOMERS)
    staff_page.select_option("#id_customers", str(world.customer.pk))
    whole_admin_page(staff_page, screenshot, "content-1-admin-announcement")

    staff_page.locator("footer [data-w-dropdown-target=toggle]").first.click()
    with staff_page.expect_navigation():
        staff_page.locator("button[name=action-publish]").click()
    assert staff_page.url == f"{base}/admin/pages/{world.board.pk}/"
    assert ANNOUNCEMENT_TITLE in admin_success(staff_page)

    announcement = AnnouncementPage.objects.get()
    assert announcement.live and not announcement.has_unpublished_changes
    assert (announcement.title, announcement.severity, announcement.audience) == (
        ANNOUNCEMENT_TITLE,
        AnnouncementPage.Severity.IMPORTANT,
        AnnouncementPage.Audience.CUSTOMERS,
    )
    assert list(announcement.customers.all()) == [world.customer]
    assert announcement.get_parent().specific == world.board
    assert announcement.plain_text() == ANNOUNCEMENT_TEXT

    # 2. Staff write the message from the admin menu, to the customer found by number.
    staff_page.goto(f"{base}/admin/")
    list_url = reverse("wagtailsnippets_customers_inboxmessage:list")
    add_url = reverse("wagtailsnippets_customers_inboxmessage:add")
    staff_page.locator(f"a[href='{list_url}']").first.click()
    staff_page.wait_for_url(base + list_url)
    staff_page.locator(f"a[href='{add_url}']").first.click()
    staff_page.wait_for_url(base + add_url)

    staff_page.fill("#id_subject", SUBJECT)
    type_rich_text(staff_page, staff_page.locator("[data-contentpath=body]"), MESSAGE_TEXT)
    staff_page.check(f"input[name=audience][value={InboxMessage.Audience.CUSTOMERS}]")
    staff_page.fill("[data-customer-numbers-search]", world.customer.number)
    staff_page.locator("[data-customer-numbers-add]").click()
    assert staff_page.input_value("#id_customers").split() == [world.customer.number]
    with staff_page.expect_navigation():
        staff_page.locator("footer button.action-save").click()
    admin_success(staff_page)

    message = InboxMessage.objects.get()
    assert (message.subject, message.published_at, message.created_by) == (
        SUBJECT,
        None,
        world.staff,
    )
    assert list(message.customers.all()) == [world.customer]
    assert MESSAGE_TEXT in message.body

    # Sending it: from its edit page's Send action, confirmed on a page of its own.
    send_url = reverse("customers_inbox_send", args=[message.pk])
    staff_page.goto(
        base + reverse("wagtailsnippets_customers_inboxmessage:edit", args=[message.pk])
    )
    staff_page.locator("header [data-w-dropdown-target=toggle]").first.click()
    staff_page.locator(f"a[href='{send_url}']").click()
    staff_page.wait_for_url(base + send_url)
    assert staff_page.locator("[data-recipients]").get_attribute("data-recipients") == "1"
    receipts_url = reverse("customers_inbox_receipts", args=[message.pk])
    with staff_page.expect_navigation():
        staff_page.locator(f"form[method=post]:has(a[href$='/edit/{message.pk}/']) button").click()
    assert staff_page.url == base + receipts_url
    admin_success(staff_page)
    assert staff_page.locator("[data-count=recipients]").inner_text() == "1"
    assert staff_page.locator("[data-count=read]").inner_text() == "0"
    assert staff_page.locator(f"#not-read tr[data-user='{world.owner.pk}']").count() == 1
    message.refresh_from_db()
    assert message.published_at is not None

    # 3. The customer sees the announcement on the dashboard and one unread message.
    page.goto(base + "/account/login/")
    sign_in(page, world.owner.email, PASSWORD)
    page.wait_for_url(base + "/account/")
    widget = page.locator(".widget--announcements")
    assert widget.locator(".announcement--important").count() == 1
    announcement_link = widget.locator(f"a[href='{announcement.url}']")
    assert announcement_link.inner_text() == ANNOUNCEMENT_TITLE
    badge = page.locator(".site-header .inbox-badge")
    assert badge.get_attribute("data-unread") == "1"
    assert badge.locator(".inbox-badge__count").inner_text() == "1"
    assert page.locator(".widget [data-unread]").get_attribute("data-unread") == "1"
    screenshot(page, "content-2-dashboard")

    announcement_link.click()
    page.wait_for_url(base + announcement.url)
    assert page.get_by_text(ANNOUNCEMENT_TEXT).is_visible()

    messages_url = reverse("customer:messages")
    page.goto(base + "/account/")
    page.locator(f".account-nav a[href='{messages_url}']").click()
    page.wait_for_url(base + messages_url)
    item = page.locator(f".inbox__item[data-message='{message.public_id}']")
    assert page.locator(".inbox__item").count() == 1
    assert "inbox__item--unread" in item.get_attribute("class")
    item.get_by_role("link", name=SUBJECT).click()
    message_url = reverse("customer:message", args=[message.public_id])
    page.wait_for_url(base + message_url)
    assert page.locator(".inbox-message h1").inner_text() == SUBJECT
    assert page.locator(".inbox-message .rich-text").inner_text().strip() == MESSAGE_TEXT
    assert page.locator(".inbox-badge").count() == 0
    screenshot(page, "content-3-message")

    page.goto(base + messages_url)
    assert page.locator(".inbox__item--unread").count() == 0
    assert page.locator(".inbox-badge").count() == 0
    receipt = MessageReceipt.objects.get(message=message)
    assert receipt.user == world.owner and receipt.read_at is not None
    assert page.console_errors == []

    # 4. The other customer sees neither, not even at their addresses.
    other_page = new_page(browser)
    other_page.goto(base + "/account/login/")
    sign_in(other_page, world.other_owner.email, PASSWORD)
    other_page.wait_for_url(base + "/account/")
    assert other_page.locator(".widget--announcements").count() == 0
    assert other_page.locator(".inbox-badge").count() == 0
    assert ANNOUNCEMENT_TITLE not in other_page.content()
    assert SUBJECT not in other_page.content()
    other_page.goto(base + reverse("announcements:list"))
    assert ANNOUNCEMENT_TITLE not in other_page.content()
    other_page.goto(base + messages_url)
    assert other_page.locator(".inbox__item").count() == 0
    assert SUBJECT not in other_page.content()
    assert other_page.goto(base + message_url).status == 404
    assert other_page.goto(base + announcement.url).status == 404
    assert not MessageReceipt.objects.filter(user=world.other_owner).exists()
    # The 404 pages are the only errors the browser saw.
    assert all("404" in error for error in other_page.console_errors), other_page.console_errors
    other_page.context.close()

    # 5. Staff see it read, and by whom: nobody is left in "not read yet".
    staff_page.goto(base + receipts_url)
    assert staff_page.locator("[data-count=recipients]").inner_text() == "1"
    assert staff_page.locator("[data-count=notified]").inner_text() == "1"
    assert staff_page.locator("[data-count=delivered]").inner_text() == "1"
    assert staff_page.locator("[data-count=read]").inner_text() == "1"
    assert staff_page.locator("#not-read tr[data-user]").count() == 0
    assert world.owner.email not in staff_page.locator("#not-read").inner_text()
    whole_admin_page(staff_page, screenshot, "content-4-receipts")
    staff_page.context.close()
