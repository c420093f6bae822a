import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from servicedesk import services
from servicedesk.models import Attachment, Request
from tests.factories import MembershipFactory, png_bytes
from tests.servicedesk.conftest import desk, filed  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
S = Request.Status
VALID = {
    "request_type": "reklamacja",
    "invoice": "FV/2026/10/1",
    "what": "Kwota jest za wysoka.",
    "reason": "Za wysoka kwota",
}


@pytest.fixture
def owner_client(client, desk, home_page):  # noqa: F811
    client.force_login(desk.owner.user)
    return client


def errors(response) -> dict:
    """Field errors in either error format (plain DRF or the API's `error.fields`)."""
    body = response.json()
    return body.get("error", {}).get("fields", body) if isinstance(body, dict) else body


def url(request, action=""):
    return f"/api/v1/requests/{request.public_id}/" + (f"{action}/" if action else "")


def test_request_types_with_fields(owner_client, desk):  # noqa: F811
    data = owner_client.get("/api/v1/request-types/").json()
    complaint = next(t for t in data["results"] if t["slug"] == "reklamacja")
    assert [f["key"] for f in complaint["fields"]][:2] == ["invoice", "what"]
    reason = next(f for f in complaint["fields"] if f["key"] == "reason")
    assert reason["choices"][0]["value"] == "Za wysoka kwota"
    assert owner_client.get("/api/v1/request-types/reklamacja/").status_code == 200


def test_filing_with_an_attachment(owner_client, desk):  # noqa: F811
    photo = SimpleUploadedFile("licznik.png", png_bytes(), content_type="image/png")
    response = owner_client.post(
        "/api/v1/requests/",
        {**VALID, "point": str(desk.point.public_id), "agree": "yes", "attachments": photo},
    )
    assert response.status_code == 201, response.content
    data = response.json()
    request = Request.objects.get()
    assert data["id"] == str(request.public_id) and data["reference"] == request.reference
    assert request.data["agree"] is True and request.service_point == desk.point
    assert data["files"][0]["name"] == "licznik.png"
    download = owner_client.get(url(request, f"files/{data['files'][0]['id']}"))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("field", "value"),
    [("invoice", ""), ("reason", "Nie ma takiej"), ("amount", "dużo"), ("since", "31.10.2026")],
)
def test_a_bad_answer_is_named_and_nothing_is_filed(owner_client, desk, field, value):  # noqa: F811
    response = owner_client.post("/api/v1/requests/", {**VALID, field: value})
    assert response.status_code == 400
    assert field in errors(response)
    assert not Request.objects.exists()


def test_an_unknown_type_is_refused(owner_client, desk):  # noqa: F811
    response = owner_client.post("/api/v1/requests/", {**VALID, "request_type": "nie-ma"})
    assert response.status_code == 400
    assert "request_type" in str(response.json())


def test_a_hostile_file_is_refused(owner_client, desk):  # noqa: F811
    bad = SimpleUploadedFile("x.html", b"<script>alert(1)</script>", content_type="text/html")
    response = owner_client.post("/api/v1/requests/", {**VALID, "attachments": bad})
    assert response.status_code == 400
    assert not Request.objects.exists()


def test_internal_notes_never_reach_the_api(owner_client, desk, filed):  # noqa: F811
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
    body = owner_client.get(url(filed)).content.decode()
    assert "Odpowiedź dla klienta." in body
    assert "Notatka wewnętrzna." not in body and "Skan dla nas." not in body
    assert "wewn.pdf" not in body
    internal = Attachment.objects.get(internal=True)
    assert owner_client.get(url(filed, f"files/{internal.public_id}")).status_code == 404


def test_list_and_filters(owner_client, filed):  # noqa: F811
    data = owner_client.get("/api/v1/requests/").json()
    assert [r["id"] for r in data["results"]] == [str(filed.public_id)]
    assert owner_client.get("/api/v1/requests/?state=closed").json()["count"] == 0
    assert owner_client.get("/api/v1/requests/?state=open").json()["count"] == 1
    assert owner_client.get("/api/v1/requests/?request_type=reklamacja").json()["count"] == 1
    assert owner_client.get("/api/v1/requests/?status=bogus").status_code == 400


def test_reply_with_an_attachment(owner_client, filed):  # noqa: F811
    note = SimpleUploadedFile("list.txt", b"tekst", content_type="text/plain")
    response = owner_client.post(url(filed, "reply"), {"body": "Dziękuję", "attachments": note})
    assert response.status_code == 200, response.content
    assert response.json()["thread"][-1]["body"] == "Dziękuję"
    assert response.json()["thread"][-1]["attachments"][0]["name"] == "list.txt"
    empty = owner_client.post(url(filed, "reply"), {"body": ""})
    assert empty.status_code == 400 and "body" in errors(empty)


def test_accept_then_rate(owner_client, desk, filed):  # noqa: F811
    filed.status, filed.assignee = S.RESOLVED, desk.agent
    filed.save()
    assert owner_client.post(url(filed, "accept")).json()["status"] == S.CLOSED
    rated = owner_client.post(
        url(filed, "rate"), {"rating": 5, "comment": "Dziękuję"}, "application/json"
    )
    assert rated.status_code == 200 and rated.json()["rating"] == 5
    assert (
        owner_client.post(url(filed, "rate"), {"rating": 9}, "application/json").status_code == 400
    )


def test_reopen_needs_a_reason(owner_client, desk, filed):  # noqa: F811
    filed.status, filed.assignee = S.RESOLVED, desk.agent
    filed.save()
    assert owner_client.post(url(filed, "reopen"), {"reason": ""}).status_code == 400
    response = owner_client.post(url(filed, "reopen"), {"reason": "Nadal za wysoka kwota."})
    assert response.status_code == 200 and response.json()["status"] == S.REOPENED


def test_a_move_the_customer_may_not_make_is_refused(owner_client, filed):  # noqa: F811
    response = owner_client.post(url(filed, "accept"))
    assert response.status_code == 400
    filed.refresh_from_db()
    assert filed.status != S.CLOSED


def test_another_customer_gets_404(client, desk, filed, home_page):  # noqa: F811
    stranger = MembershipFactory(role="owner")
    client.force_login(stranger.user)
    assert client.get(url(filed)).status_code == 404
    assert client.post(url(filed, "reply"), {"body": "x"}).status_code == 404
    attachment_id = "00000000-0000-0000-0000-000000000000"
    assert client.get(url(filed, f"files/{attachment_id}")).status_code == 404
    assert client.get("/api/v1/requests/").json()["count"] == 0


def test_roles(client, desk, filed, home_page):  # noqa: F811
    reader = MembershipFactory(customer=desk.owner.customer, role="read_only")
    client.force_login(reader.user)
    assert client.get("/api/v1/requests/").status_code == 403
    billing = MembershipFactory(customer=desk.owner.customer, role="billing")
    client.force_login(billing.user)
    assert client.get("/api/v1/requests/").status_code == 200
