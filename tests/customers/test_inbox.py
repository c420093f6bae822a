"""The inbox: audiences, receipts, the badge, files, safe text, replies, sending once, admin."""

from datetime import time

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from customers import inbox_services
from customers.inbox_services import audience_users, messages_for_customer
from customers.models import (
    InboxMessage,
    Membership,
    MessageAttachment,
    MessageReceipt,
)
from notifications.models import Delivery
from tests.conftest import verify_with_second_factor
from tests.factories import (
    CustomerFactory,
    MembershipFactory,
    SegmentFactory,
    UserFactory,
    png_bytes,
)

pytestmark = pytest.mark.django_db

EVERYONE = InboxMessage.Audience.EVERYONE
SEGMENTS = InboxMessage.Audience.SEGMENTS
CUSTOMERS = InboxMessage.Audience.CUSTOMERS


def make_message(audience=CUSTOMERS, customers=(), segments=(), sent=True, **fields):
    message = InboxMessage.objects.create(
        subject=fields.pop("subject", "Przerwa w dostawie"),
        body=fields.pop("body", "<p>Szanowni Państwo,</p>"),
        audience=audience,
        published_at=timezone.now() if sent else None,
        **fields,
    )
    message.customers.set(customers)
    message.segments.set(segments)
    message.save()  # parental relations are written on save
    return message


@pytest.fixture
def owner(home_page):
    return MembershipFactory(role="owner", user=UserFactory(email="wlasciciel@example.pl"))


def unread_class_count(html: str) -> int:
    return html.count("inbox__item--unread")


# Audience


def test_audience_everyone_segment_and_chosen_customers_and_drafts_invisible():
    segment = SegmentFactory()
    in_segment, chosen, other = CustomerFactory(), CustomerFactory(), CustomerFactory()
    in_segment.segments.add(segment)
    to_all = make_message(EVERYONE, subject="wszyscy")
    to_segment = make_message(SEGMENTS, segments=[segment], subject="segment")
    to_chosen = make_message(CUSTOMERS, customers=[chosen], subject="wybrany")
    make_message(EVERYONE, sent=False, subject="szkic")
    make_message(SEGMENTS, segments=[segment], sent=False, subject="szkic segmentu")

    expected = {
        in_segment: {to_all, to_segment},
        chosen: {to_all, to_chosen},
        other: {to_all},
    }
    for customer, messages in expected.items():
        assert set(InboxMessage.objects.for_customer(customer)) == messages
        # The badge's one-query form answers the same.
        assert set(messages_for_customer(customer.pk)) == messages


def test_the_audience_is_each_active_member_once():
    first, second, outsider = CustomerFactory(), CustomerFactory(), CustomerFactory()
    both = UserFactory(email="oba@example.pl")
    MembershipFactory(customer=first, user=both, role="owner")
    MembershipFactory(customer=second, user=both, role="billing")
    member = MembershipFactory(customer=second, role="technical").user
    MembershipFactory(customer=first, role="billing", status=Membership.Status.REVOKED)
    MembershipFactory(customer=first, role="billing", user=UserFactory(is_active=False))
    MembershipFactory(customer=outsider, role="owner")

    message = make_message(CUSTOMERS, customers=[first, second])
    assert list(audience_users(message).order_by("email")) == sorted(
        [both, member], key=lambda u: u.email
    )
    assert audience_users(make_message(EVERYONE)).count() == 3


# Receipts


def test_the_list_marks_delivered_and_opening_marks_read(client, owner):
    messages = [
        make_message(customers=[owner.customer], subject=f"Komunikat {n}") for n in range(3)
    ]
    client.force_login(owner.user)

    html = client.get(reverse("customer:messages")).content.decode()
    assert unread_class_count(html) == 3
    receipts = MessageReceipt.objects.filter(user=owner.user)
    assert receipts.count() == 3
    assert not receipts.filter(read_at__isnull=False).exists()
    first_delivered = receipts.get(message=messages[0]).delivered_at

    response = client.get(reverse("customer:message", args=[messages[0].public_id]))
    assert response.status_code == 200
    receipt = receipts.get(message=messages[0])
    assert receipt.read_at is not None
    assert receipt.delivered_at == first_delivered  # first shown stays first shown

    html = client.get(reverse("customer:messages")).content.decode()
    assert unread_class_count(html) == 2


def test_listing_writes_receipts_in_one_insert_and_none_the_second_time(client, owner):
    for n in range(5):
        make_message(customers=[owner.customer], subject=f"Komunikat {n}")
    client.force_login(owner.user)
    client.get(reverse("customer:dashboard"))  # warm the per-process caches

    def inserts():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("customer:messages")).status_code == 200
        return [q["sql"] for q in captured if "INSERT" in q["sql"] and "messagereceipt" in q["sql"]]

    assert len(inserts()) == 1
    assert inserts() == []


def test_list_is_newest_first_paginated_and_shows_only_published(client, owner):
    for n in range(25):
        message = make_message(customers=[owner.customer], subject=f"Komunikat nr {n:02d}")
        InboxMessage.objects.filter(pk=message.pk).update(
            published_at=timezone.now() - timezone.timedelta(days=25 - n)
        )
    draft = make_message(customers=[owner.customer], sent=False, subject="Szkic tajny")
    client.force_login(owner.user)

    html = client.get(reverse("customer:messages")).content.decode()
    assert html.index("Komunikat nr 24") < html.index("Komunikat nr 23")
    assert "Komunikat nr 04" not in html  # on the second page
    assert "Szkic tajny" not in html
    assert MessageReceipt.objects.filter(user=owner.user).count() == 20
    assert (
        "Komunikat nr 04" in client.get(reverse("customer:messages"), {"page": 2}).content.decode()
    )
    assert client.get(reverse("customer:message", args=[draft.public_id])).status_code == 404


def test_query_count_of_the_list_does_not_grow_with_the_messages(client, owner):
    client.force_login(owner.user)

    def queries():
        client.get(reverse("customer:messages"))
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("customer:messages")).status_code == 200
        return len(captured)

    make_message(customers=[owner.customer])
    few = queries()
    for n in range(15):
        make_message(customers=[owner.customer], subject=f"K{n}")
    assert queries() == few


def test_staff_viewing_as_the_customer_leave_no_receipts(client, owner):
    from customers.impersonation import SESSION_KEY

    message = make_message(customers=[owner.customer])
    staff = UserFactory(email="bok@example.pl", is_staff=True, is_superuser=True)
    verify_with_second_factor(client, staff)
    session = client.session
    session[SESSION_KEY] = owner.customer.pk
    session.save()

    assert client.get(reverse("customer:messages")).status_code == 200
    assert client.get(reverse("customer:message", args=[message.public_id])).status_code == 200
    assert not MessageReceipt.objects.exists()


# The badge and the dashboard


def badge(html: str) -> str | None:
    marker = 'class="inbox-badge"'
    if marker not in html:
        return None
    start = html.index('data-unread="', html.index(marker)) + len('data-unread="')
    return html[start : html.index('"', start)]


def test_the_badge_counts_unread_messages_and_hides_at_zero(client, owner):
    messages = [make_message(customers=[owner.customer]) for _ in range(2)]
    make_message(customers=[CustomerFactory()])  # someone else's
    client.force_login(owner.user)

    assert badge(client.get("/").content.decode()) == "2"
    client.get(reverse("customer:message", args=[messages[0].public_id]))
    assert badge(client.get(reverse("customer:dashboard")).content.decode()) == "1"
    client.get(reverse("customer:message", args=[messages[1].public_id]))
    assert badge(client.get("/").content.decode()) is None
    client.logout()
    assert badge(client.get("/").content.decode()) is None


def test_the_badge_counts_for_the_active_customer(client, home_page):
    user = UserFactory(email="dwie-firmy@example.pl")
    alpha = MembershipFactory(user=user, customer=CustomerFactory(name="Alfa"), role="owner")
    beta = MembershipFactory(user=user, customer=CustomerFactory(name="Beta"), role="owner")
    make_message(customers=[beta.customer])
    client.force_login(user)

    assert badge(client.get("/").content.decode()) is None  # Alfa, first by name
    client.post(reverse("customer:switch"), {"customer": beta.customer.public_id})
    assert badge(client.get("/").content.decode()) == "1"
    assert badge(client.get(reverse("customer:dashboard")).content.decode()) == "1"
    assert alpha.customer.name == "Alfa"


@pytest.mark.parametrize("url", ["/", "/account/", "/account/messages/"])
def test_the_badge_costs_one_query_whatever_the_number_of_messages(client, owner, url):
    client.force_login(owner.user)

    def inbox_queries():
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return [q for q in captured if "inboxmessage" in q["sql"].lower()]

    make_message(customers=[owner.customer])
    few = inbox_queries()
    for n in range(10):
        make_message(customers=[owner.customer], subject=f"K{n}")
        make_message(EVERYONE, subject=f"W{n}")
    many = inbox_queries()
    assert len(many) == len(few)
    badge_queries = [q for q in many if "COUNT(" in q["sql"] and "NOT EXISTS" in q["sql"]]
    # Customer-area pages keep the count in the cache (the request before filled it).
    assert len(badge_queries) == (1 if url == "/" else 0)


def test_the_cached_badge_follows_new_and_read_messages(client, owner):
    client.force_login(owner.user)
    first = make_message(customers=[owner.customer])
    assert badge(client.get(reverse("customer:dashboard")).content.decode()) == "1"
    make_message(customers=[owner.customer])
    assert badge(client.get(reverse("customer:dashboard")).content.decode()) == "2"
    client.get(reverse("customer:message", args=[first.public_id]))
    assert badge(client.get(reverse("customer:dashboard")).content.decode()) == "1"


def test_the_home_page_of_an_anonymous_visitor_asks_nothing_about_messages(client, home_page):
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/").status_code == 200
    assert not [q for q in captured if "inboxmessage" in q["sql"].lower()]


def test_the_dashboard_widget_shows_the_three_newest(client, owner):
    for n in range(5):
        message = make_message(customers=[owner.customer], subject=f"Komunikat nr {n}")
        InboxMessage.objects.filter(pk=message.pk).update(
            published_at=timezone.now() - timezone.timedelta(days=5 - n)
        )
    client.force_login(owner.user)
    html = client.get(reverse("customer:dashboard")).content.decode()
    assert 'id="widget-messages"' in html
    assert all(f"Komunikat nr {n}" in html for n in (2, 3, 4))
    assert "Komunikat nr 1" not in html
    assert 'data-unread="5"' in html
    assert reverse("customer:messages") in html


# Files


def test_attachments_download_only_through_the_customer_s_messages(client, two_customers):
    a, b = two_customers.a, two_customers.b
    client.force_login(a.billing)
    own = a.message_attachments[0]
    response = client.get(
        reverse("customer:message_attachment", args=[a.messages[0].public_id, own.public_id])
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert 'filename="pismo.pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == b"%PDF-1.4 pismo"

    # B's file, through B's message or smuggled under A's own message: not found.
    theirs = b.message_attachments[0]
    for message_id in (b.messages[0].public_id, a.messages[0].public_id):
        url = reverse("customer:message_attachment", args=[message_id, theirs.public_id])
        assert client.get(url).status_code == 404
    # A's other message's file under the first message: not found either.
    url = reverse(
        "customer:message_attachment",
        args=[a.messages[0].public_id, a.message_attachments[1].public_id],
    )
    assert client.get(url).status_code == 404


def test_a_draft_s_files_are_not_served(client, owner):
    draft = make_message(customers=[owner.customer], sent=False)
    attachment = MessageAttachment.objects.create(
        message=draft, file=ContentFile(b"%PDF-1.4", name="x.pdf"), name="x.pdf"
    )
    client.force_login(owner.user)
    url = reverse("customer:message_attachment", args=[draft.public_id, attachment.public_id])
    assert client.get(url).status_code == 404


# Safe text


def test_script_and_event_handlers_stored_in_the_body_never_run(client, owner, home_page):
    message = make_message(
        customers=[owner.customer],
        body=(
            "<p>Dzień dobry</p><script>alert('x')</script>"
            '<p onclick="steal()">Klik</p><img src="x" onerror="alert(1)">'
            '<a href="javascript:alert(2)">link</a>'
            '<iframe src="https://evil.example"></iframe><b>ważne</b>'
            f'<a linktype="page" id="{home_page.pk}">strona</a>'
        ),
    )
    client.force_login(owner.user)
    html = client.get(reverse("customer:message", args=[message.public_id])).content.decode()
    body = html[html.index('class="rich-text"') : html.index("</article>")]
    assert "<p>Dzień dobry</p>" in body
    assert "<b>ważne</b>" in body
    for dangerous in (
        "<script",
        "alert('x')",
        "onclick",
        "onerror",
        "<img",
        "javascript:",
        "<iframe",
    ):
        assert dangerous not in body, dangerous
    assert f'href="{home_page.url}"' in body  # Wagtail's own links still resolve


# Replies


@pytest.fixture
def question_type(db):
    from servicedesk.models import FormField, RequestType, WorkingCalendar

    calendar = WorkingCalendar.objects.create(name="BOK", opens_at=time(8), closes_at=time(16))
    request_type = RequestType.objects.create(
        slug="pytanie",
        name="Pytanie",
        name_en="Question",
        category="general",
        calendar=calendar,
    )
    FormField.objects.create(
        request_type=request_type,
        sort_order=0,
        key="topic",
        label="Temat",
        label_en="Topic",
        kind="text",
        required=False,
    )
    FormField.objects.create(
        request_type=request_type,
        sort_order=1,
        key="question",
        label="Pytanie",
        label_en="Question",
        kind="long_text",
    )
    return request_type


def test_a_reply_files_a_general_request(client, owner, question_type):
    from servicedesk.models import Request

    message = make_message(customers=[owner.customer], subject="Nowa taryfa")
    client.force_login(owner.user)
    url = reverse("customer:message_reply", args=[message.public_id])
    assert client.get(url).status_code == 200

    response = client.post(url, {"text": "Czy taryfa obejmuje mój punkt?"})
    request = Request.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("servicedesk:request", args=[request.public_id])
    assert request.subject == "Re: Nowa taryfa"
    assert request.customer == owner.customer
    assert request.filed_by == owner.user
    assert request.request_type == question_type
    assert request.data["question"] == "Czy taryfa obejmuje mój punkt?"
    assert client.get(response["Location"]).status_code == 200


def test_a_reply_without_a_general_type_says_so_and_files_nothing(client, owner, question_type):
    from servicedesk.models import Request

    question_type.is_active = False
    question_type.save()
    message = make_message(customers=[owner.customer])
    client.force_login(owner.user)
    url = reverse("customer:message_reply", args=[message.public_id])

    response = client.post(url, {"text": "Pytanie"})
    assert response.status_code == 200
    assert 'class="alert alert--error"' in response.content.decode()
    assert not Request.objects.exists()

    question_type.is_active = True
    question_type.save()
    response = client.post(url, {"text": "  "})
    assert 'class="field__error" id="id_text_error"' in response.content.decode()
    assert not Request.objects.exists()


def test_a_read_only_member_may_read_but_not_reply(client, home_page, question_type):
    reader = MembershipFactory(role="read_only")
    message = make_message(customers=[reader.customer])
    client.force_login(reader.user)
    html = client.get(reverse("customer:message", args=[message.public_id])).content.decode()
    assert reverse("customer:message_reply", args=[message.public_id]) not in html
    response = client.post(
        reverse("customer:message_reply", args=[message.public_id]), {"text": "x"}
    )
    assert response.status_code == 403


# Sending


def inbox_mail(mailoutbox) -> list:
    return [m for m in mailoutbox if m.extra_headers["X-Okienko-Delivery"].startswith("inbox:")]


def test_sending_notifies_each_user_once_and_a_second_send_nothing(
    staff_client, django_capture_on_commit_callbacks, mailoutbox, monkeypatch
):
    monkeypatch.setattr(inbox_services, "FAN_OUT_BATCH", 2)  # several batches
    first, second = CustomerFactory(), CustomerFactory()
    both = UserFactory(email="oba@example.pl")
    MembershipFactory(customer=first, user=both, role="owner")
    MembershipFactory(customer=second, user=both, role="billing")
    others = [MembershipFactory(customer=first, role="billing").user for _ in range(3)]
    message = make_message(CUSTOMERS, customers=[first, second], sent=False, subject="Ważne")
    url = reverse("customers_inbox_send", args=[message.pk])

    assert 'data-recipients="4"' in staff_client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url)
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.published_at is not None
    deliveries = Delivery.objects.filter(key__startswith=f"inbox:{message.pk}:")
    assert sorted(d.user.email for d in deliveries) == sorted(u.email for u in [both, *others])
    assert deliveries.filter(category="messages").count() == 4
    assert sorted(m.to[0] for m in inbox_mail(mailoutbox)) == sorted(
        u.email for u in [both, *others]
    )
    assert all("Ważne" in m.subject for m in inbox_mail(mailoutbox))

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(url)
        inbox_services.fan_out_message(message.pk)  # a rerun of the task, too
    assert deliveries.count() == 4
    assert len(inbox_mail(mailoutbox)) == 4


def test_editing_a_sent_message_resends_nothing_and_keeps_its_audience(
    staff_client, django_capture_on_commit_callbacks, mailoutbox
):
    customer, other = CustomerFactory(number="800001"), CustomerFactory(number="800002")
    MembershipFactory(customer=customer, role="owner")
    MembershipFactory(customer=other, role="owner")
    message = make_message(CUSTOMERS, customers=[customer], sent=False)
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(reverse("customers_inbox_send", args=[message.pk]))
    notices = Delivery.objects.filter(key__startswith=f"inbox:{message.pk}:")
    assert notices.count() == 1
    sent = len(mailoutbox)
    edit = reverse("wagtailsnippets_customers_inboxmessage:edit", args=[message.pk])

    def post(**changes):
        data = {
            "subject": "Poprawiony temat",
            "body": rich_text("<p>Poprawiona treść</p>"),
            "audience": CUSTOMERS,
            "customers": "800001",
            "attachments": inline_formset([]),
            **changes,
        }
        with django_capture_on_commit_callbacks(execute=True):
            return staff_client.post(edit, nested_form_data(data))

    assert post().status_code == 302
    message.refresh_from_db()
    assert message.subject == "Poprawiony temat"
    assert notices.count() == 1
    assert len(mailoutbox) == sent

    response = post(customers="800001\n800002")
    assert response.status_code == 200
    assert "customers" in response.context["form"].errors
    assert list(message.customers.all()) == [customer]


# The admin form


def create_form_data(**changes):
    data = {
        "subject": "Planowane prace",
        "body": rich_text("<p>W sobotę nie będzie wody.</p>"),
        "audience": CUSTOMERS,
        "customers": "",
        "attachments": inline_formset([]),
    }
    data.update(changes)
    return nested_form_data(data)


def test_staff_write_a_draft_to_customers_given_by_number(staff_client, admin_user):
    first, second = CustomerFactory(number="900001"), CustomerFactory(number="900002")
    add = reverse("wagtailsnippets_customers_inboxmessage:add")
    assert staff_client.get(add).status_code == 200

    response = staff_client.post(
        add,
        create_form_data(
            customers="900001, 900002\n900001",
            attachments=inline_formset(
                [{"file": SimpleUploadedFile("plan.png", png_bytes(), "image/png")}]
            ),
        ),
    )
    assert response.status_code == 302
    message = InboxMessage.objects.get()
    assert message.published_at is None
    assert message.created_by == admin_user
    assert set(message.customers.all()) == {first, second}
    attachment = message.attachments.get()
    assert (attachment.name, attachment.content_type) == ("plan.png", "image/png")
    edit_html = staff_client.get(
        reverse("wagtailsnippets_customers_inboxmessage:edit", args=[message.pk])
    ).content.decode()
    assert "900001\n900002" in edit_html
    assert reverse("customers_inbox_send", args=[message.pk]) in edit_html


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"customers": "900001 123456789"}, "customers"),
        ({"customers": ""}, "customers"),
        ({"audience": SEGMENTS}, "segments"),
    ],
)
def test_a_bad_audience_is_named_and_nothing_is_saved(staff_client, changes, field):
    CustomerFactory(number="900001")
    response = staff_client.post(
        reverse("wagtailsnippets_customers_inboxmessage:add"), create_form_data(**changes)
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not InboxMessage.objects.exists()


@pytest.mark.parametrize(
    "name, content",
    [
        ("program.exe", b"MZ\x90\x00"),
        ("pismo.pdf", b"<html><script>alert(1)</script></html>"),
        ("zdjecie.png", b"%PDF-1.4 not a picture"),
        ("pusty.pdf", b""),
    ],
)
def test_a_bad_attachment_is_refused(staff_client, name, content):
    CustomerFactory(number="900001")
    response = staff_client.post(
        reverse("wagtailsnippets_customers_inboxmessage:add"),
        create_form_data(
            customers="900001",
            attachments=inline_formset([{"file": SimpleUploadedFile(name, content)}]),
        ),
    )
    assert response.status_code == 200
    formset = response.context["form"].formsets["attachments"]
    assert formset.forms[0].errors.get("file")
    assert not InboxMessage.objects.exists()


def test_the_customer_search_suggests_a_few_customers(staff_client):
    CustomerFactory(number="700100", name="Spółdzielnia Mieszkaniowa Zorza")
    for n in range(30):
        CustomerFactory(number=f"71{n:04d}", name=f"Firma {n}")
    url = reverse("customers_inbox_customer_search")
    results = staff_client.get(url, {"q": "zorza"}).json()["results"]
    assert [r["number"] for r in results] == ["700100"]
    assert len(staff_client.get(url, {"q": "71"}).json()["results"]) == 20
    assert staff_client.get(url, {"q": "7"}).json()["results"] == []


# Receipts for staff


def test_staff_see_reach_delivered_read_and_who_has_not_read(client, staff_client, home_page):
    customer = CustomerFactory()
    reader, looker, absent = (
        MembershipFactory(
            customer=customer, role=role, user=UserFactory(email=f"{role}@example.pl")
        )
        for role in ("owner", "billing", "technical")
    )
    message = make_message(customers=[customer])
    client.force_login(reader.user)
    client.get(reverse("customer:message", args=[message.public_id]))
    client.force_login(looker.user)
    client.get(reverse("customer:messages"))

    html = staff_client.get(reverse("customers_inbox_receipts", args=[message.pk])).content.decode()
    assert '<td data-count="recipients">3</td>' in html
    assert '<td data-count="delivered">2</td>' in html
    assert '<td data-count="read">1</td>' in html
    not_read = html[html.index('id="not-read"') :]
    assert "billing@example.pl" in not_read
    assert "technical@example.pl" in not_read
    assert "owner@example.pl" not in not_read
    listing = staff_client.get(reverse("wagtailsnippets_customers_inboxmessage:list")).content
    assert reverse("customers_inbox_receipts", args=[message.pk]) in listing.decode()


def test_staff_without_the_snippet_permission_are_refused(client):
    message = make_message(customers=[CustomerFactory()], sent=False)
    clerk = UserFactory(email="clerk@example.pl", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="access_admin"))
    verify_with_second_factor(client, clerk)
    urls = [
        reverse("wagtailsnippets_customers_inboxmessage:list"),
        reverse("wagtailsnippets_customers_inboxmessage:edit", args=[message.pk]),
        reverse("customers_inbox_send", args=[message.pk]),
        reverse("customers_inbox_receipts", args=[message.pk]),
        reverse("customers_inbox_customer_search") + "?q=Klient",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert response.status_code == 403 or response["Location"] == "/admin/", url
    client.post(reverse("customers_inbox_send", args=[message.pk]))
    message.refresh_from_db()
    assert message.published_at is None

    clerk.user_permissions.add(
        Permission.objects.get(codename="view_inboxmessage"),
        Permission.objects.get(codename="change_inboxmessage"),
    )
    assert client.get(reverse("customers_inbox_receipts", args=[message.pk])).status_code == 200
    assert client.get(reverse("customers_inbox_send", args=[message.pk])).status_code == 200


def test_the_personal_data_export_holds_the_user_s_receipts(client, owner):
    import io
    import json
    import zipfile

    from customers.privacy import build_personal_data_zip

    message = make_message(customers=[owner.customer], subject="Nowy cennik")
    client.force_login(owner.user)
    client.get(reverse("customer:message", args=[message.public_id]))

    archive = zipfile.ZipFile(io.BytesIO(build_personal_data_zip(owner.user)))
    rows = json.loads(archive.read("inbox-receipts.json"))
    assert [row["message"] for row in rows] == ["Nowy cennik"]
    assert rows[0]["read"] is not None
