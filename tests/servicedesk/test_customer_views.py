from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.models import AuditEvent
from servicedesk import services
from servicedesk.models import Attachment, Message, Request
from tests.factories import MembershipFactory, SegmentFactory, png_bytes

pytestmark = pytest.mark.django_db
S = Request.Status


@pytest.fixture
def owner_client(client, desk, home_page):
    client.force_login(desk.owner.user)
    return client


def file_url(desk):
    return reverse("servicedesk:file", kwargs={"slug": desk.complaint.slug})


def detail_url(request):
    return reverse("servicedesk:request", kwargs={"request_id": request.public_id})


VALID = {"invoice": "FV/2026/10/1", "what": "Kwota jest za wysoka.", "reason": "Za wysoka kwota"}


def test_the_customer_chooses_among_the_types_they_may_file(owner_client, desk):
    from servicedesk.models import RequestType

    vip_only = RequestType.objects.create(
        slug="vip", name="Dla VIP", name_en="VIP", category="general", calendar=desk.calendar
    )
    vip_only.segments.set([SegmentFactory(code="vip")])
    RequestType.objects.create(
        slug="billing-only",
        name="Tylko księgowość",
        name_en="Billing only",
        category="general",
        calendar=desk.calendar,
        allowed_roles="billing",
    )
    html = owner_client.get(reverse("servicedesk:choose_type")).content.decode()
    assert file_url(desk) in html
    assert "Dla VIP" not in html and "Tylko księgowość" not in html
    assert owner_client.get(reverse("servicedesk:file", kwargs={"slug": "vip"})).status_code == 404


def test_filing_a_complaint_with_a_photo(owner_client, desk):
    photo = SimpleUploadedFile("licznik.png", png_bytes(), content_type="image/png")
    data = {
        **VALID,
        "point": str(desk.point.public_id),
        "since": "2026-10-01",
        "agree": "yes",
        "scan": photo,
    }
    response = owner_client.post(file_url(desk), data)
    assert response.status_code == 302
    request = Request.objects.get()
    assert response["Location"] == detail_url(request)
    assert request.service_point == desk.point
    assert request.data["invoice"] == "FV/2026/10/1"
    assert request.data["since"] == "2026-10-01" and request.data["agree"] is True
    assert request.data["point"] == desk.point.code
    attachment = request.attachments.get()
    assert attachment.original_name == "licznik.png" and attachment.content_type == "image/png"
    assert "licznik" not in attachment.file.name
    assert AuditEvent.objects.filter(action="request_filed", customer=desk.owner.customer).exists()
    page = owner_client.get(detail_url(request)).content.decode()
    assert request.reference in page and "data-deadline" in page and "data-time-left" in page


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("invoice", ""),
        ("what", ""),
        ("reason", "Nie ma takiej"),
        ("amount", "dużo"),
        ("since", "31.10.2026"),
    ],
)
def test_a_bad_answer_is_named_and_nothing_is_filed(owner_client, desk, field, value):
    response = owner_client.post(file_url(desk), {**VALID, field: value})
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not Request.objects.exists()


def test_a_service_point_of_another_customer_cannot_be_picked(owner_client, desk):
    from tests.factories import ServicePointFactory

    foreign = ServicePointFactory()
    response = owner_client.post(file_url(desk), {**VALID, "point": str(foreign.public_id)})
    assert response.context["form"].errors["point"]
    assert not Request.objects.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("atak.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("strona.html", b"<html><body>x</body></html>"),
        ("zdjecie.png", png_bytes() + b"<html><script>alert(1)</script></html>"),
        ("faktura.pdf", b"MZ\x90\x00\x03\x00\x00\x00"),
        ("../../etc/passwd.png", b"not a picture"),
    ],
)
def test_hostile_files_are_refused_and_nothing_is_stored(owner_client, desk, name, content):
    upload = SimpleUploadedFile(name, content, content_type="image/png")
    response = owner_client.post(file_url(desk), {**VALID, "attachments": upload})
    assert response.status_code == 200
    assert response.context["form"].errors["attachments"]
    assert not Request.objects.exists() and not Attachment.objects.exists()


def test_an_oversize_file_is_refused(owner_client, desk):
    upload = SimpleUploadedFile(
        "duzy.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024), content_type="application/pdf"
    )
    response = owner_client.post(file_url(desk), {**VALID, "attachments": upload})
    assert response.context["form"].errors["attachments"]
    assert not Request.objects.exists()


def test_the_customer_sees_replies_but_never_internal_notes(owner_client, desk, filed):
    services.reply(filed, author=desk.agent, body="Odpowiedź dla klienta.", by_staff=True)
    services.reply(
        filed, author=desk.agent, body="Notatka wewnętrzna.", by_staff=True, internal=True
    )
    staff_file = SimpleUploadedFile("wewn.pdf", b"%PDF-1.4 x", content_type="application/pdf")
    services.reply(
        filed,
        author=desk.agent,
        body="Skan dla nas.",
        by_staff=True,
        internal=True,
        uploads=services.checked([staff_file]),
    )
    html = owner_client.get(detail_url(filed)).content.decode()
    assert "Odpowiedź dla klienta." in html
    assert (
        "Notatka wewnętrzna." not in html and "Skan dla nas." not in html and "wewn.pdf" not in html
    )
    internal = Attachment.objects.get(internal=True)
    url = reverse(
        "servicedesk:attachment",
        kwargs={"request_id": filed.public_id, "attachment_id": internal.public_id},
    )
    assert owner_client.get(url).status_code == 404


def test_an_attachment_is_served_as_a_download(owner_client, desk):
    photo = SimpleUploadedFile("licznik.png", png_bytes(), content_type="image/png")
    owner_client.post(file_url(desk), {**VALID, "attachments": photo})
    request = Request.objects.get()
    attachment = request.attachments.get()
    response = owner_client.get(
        reverse(
            "servicedesk:attachment",
            kwargs={"request_id": request.public_id, "attachment_id": attachment.public_id},
        )
    )
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "image/png"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == png_bytes()


def test_the_customer_replies_and_answers_a_question(owner_client, desk, filed):
    filed.status, filed.assignee = S.IN_PROGRESS, desk.agent
    filed.save()
    services.change_status(
        filed, S.WAITING, actor=desk.agent, by_staff=True, text="Prosimy o skan."
    )
    response = owner_client.post(
        reverse("servicedesk:reply", kwargs={"request_id": filed.public_id}),
        {"body": "Skan w załączeniu."},
    )
    assert response.status_code == 302
    filed.refresh_from_db()
    assert filed.status == S.IN_PROGRESS
    assert Message.objects.filter(
        request=filed, body="Skan w załączeniu.", from_staff=False
    ).exists()


def test_an_empty_reply_is_refused_under_its_field(owner_client, filed):
    response = owner_client.post(
        reverse("servicedesk:reply", kwargs={"request_id": filed.public_id}), {"body": " "}
    )
    assert response.status_code == 400
    assert response.context["reply_form"].errors["body"]


def test_accept_then_rate(owner_client, desk, filed):
    filed.status, filed.assignee = S.RESOLVED, desk.agent
    filed.save()
    owner_client.post(reverse("servicedesk:accept", kwargs={"request_id": filed.public_id}))
    filed.refresh_from_db()
    assert filed.status == S.CLOSED
    owner_client.post(
        reverse("servicedesk:rate", kwargs={"request_id": filed.public_id}),
        {"rating": "5", "comment": "Dziękuję"},
    )
    filed.refresh_from_db()
    assert filed.rating == 5


def test_reopen_needs_a_reason(owner_client, desk, filed):
    filed.status, filed.assignee = S.RESOLVED, desk.agent
    filed.save()
    url = reverse("servicedesk:reopen", kwargs={"request_id": filed.public_id})
    response = owner_client.post(url, {"reason": ""})
    assert response.status_code == 400
    filed.refresh_from_db()
    assert filed.status == S.RESOLVED
    owner_client.post(url, {"reason": "Nadal za wysoka kwota."})
    filed.refresh_from_db()
    assert filed.status == S.REOPENED


def test_the_customer_cannot_move_what_staff_move(owner_client, desk, filed):
    filed.status, filed.assignee = S.IN_PROGRESS, desk.agent
    filed.save()
    owner_client.post(reverse("servicedesk:accept", kwargs={"request_id": filed.public_id}))
    filed.refresh_from_db()
    assert filed.status == S.IN_PROGRESS


def test_a_technician_sees_requests_of_their_points_and_their_own(client, desk, filed):
    technician = MembershipFactory(customer=desk.owner.customer, role="technical")
    technician.service_points.set([desk.point])
    about_point = services.file_request(
        membership=desk.owner,
        user=desk.owner.user,
        request_type=desk.complaint,
        data={},
        service_point=desk.point,
    )
    client.force_login(technician.user)
    html = client.get(reverse("servicedesk:requests")).content.decode()
    assert about_point.reference in html
    assert filed.reference not in html  # the owner's request about no service point
    assert client.get(detail_url(filed)).status_code == 404


def test_the_list_shows_the_deadline_and_filters(owner_client, desk, filed):
    closed = services.file_request(
        membership=desk.owner, user=desk.owner.user, request_type=desk.complaint, data={}
    )
    Request.objects.filter(pk=closed.pk).update(status=S.CLOSED)
    html = owner_client.get(reverse("servicedesk:requests") + "?status=open").content.decode()
    assert filed.reference in html and closed.reference not in html


def test_the_dashboard_lists_open_requests(owner_client, filed):
    html = owner_client.get(reverse("customer:dashboard")).content.decode()
    assert filed.reference in html


def test_a_late_request_says_so(owner_client, filed):
    Request.objects.filter(pk=filed.pk).update(resolution_due=filed.created_at - timedelta(hours=1))
    html = owner_client.get(detail_url(filed)).content.decode()
    assert "status--overdue" in html
