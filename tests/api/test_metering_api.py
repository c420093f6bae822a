import io
import json
import math
import os
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from customers.models import PersonalAccessToken
from documents.storage import private_storage
from metering.forms import MAX_PHOTO_BYTES
from metering.models import Reading
from tests.factories import (
    MembershipFactory,
    MeterFactory,
    ReadingWindowFactory,
    ServicePointFactory,
    monthly_readings,
    png_bytes,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(home_page):
    return MembershipFactory(role="owner")


@pytest.fixture
def meter(owner):
    meter = MeterFactory(service_point=ServicePointFactory(customer=owner.customer, tariff="G11"))
    meter.last_value = monthly_readings(meter)
    return meter


@pytest.fixture
def open_window():
    return ReadingWindowFactory()


def submit(client, meter, value, **extra):
    payload = {
        "read_on": timezone.localdate().isoformat(),
        "values": {"1.8.0": str(value)},
        **extra,
    }
    return client.post(
        f"/api/v1/meters/{meter.public_id}/readings/", payload, content_type="application/json"
    )


def submit_with_photo(client, meter, value, photo=None, **extra):
    """A multipart submission: `values` as a JSON text part, the photo as a file part."""
    payload = {
        "read_on": timezone.localdate().isoformat(),
        "values": json.dumps({"1.8.0": str(value)}),
    }
    if photo is not None:
        payload["photo"] = photo
    return client.post(f"/api/v1/meters/{meter.public_id}/readings/", payload, **extra)


def stored_photos() -> set[str]:
    storage = private_storage()
    return set(storage.listdir("reading-photos")[1]) if storage.exists("reading-photos") else set()


def oversize_png() -> bytes:
    """A real PNG just over the limit: uncompressed noise, so every byte counts."""
    side = math.isqrt(MAX_PHOTO_BYTES // 3) + 8
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(
        buffer, "PNG", compress_level=0
    )
    assert len(buffer.getvalue()) > MAX_PHOTO_BYTES
    return buffer.getvalue()


def test_meters_list_with_registers(client, owner, meter):
    client.force_login(owner.user)
    data = client.get("/api/v1/meters/").json()
    assert data["count"] == 1
    assert data["results"][0]["id"] == str(meter.public_id)
    assert data["results"][0]["registers"] == [{"code": "1.8.0", "name": "Całodobowa"}]
    detail = client.get(f"/api/v1/meters/{meter.public_id}/").json()
    assert detail["serial_number"] == meter.serial_number


def test_meter_filters(client, owner, meter):
    other = MeterFactory(service_point=ServicePointFactory(customer=owner.customer), medium="gas")
    client.force_login(owner.user)
    assert client.get("/api/v1/meters/?medium=gas").json()["results"][0]["id"] == str(
        other.public_id
    )
    url = f"/api/v1/meters/?service_point={meter.service_point.public_id}"
    assert [m["id"] for m in client.get(url).json()["results"]] == [str(meter.public_id)]
    assert client.get("/api/v1/meters/?medium=nonsense").status_code == 400


def test_readings_list_and_filters(client, owner, meter):
    client.force_login(owner.user)
    data = client.get(f"/api/v1/meters/{meter.public_id}/readings/").json()
    assert data["count"] == 25
    assert data["results"][0]["read_on"] >= data["results"][1]["read_on"]
    assert (
        client.get(f"/api/v1/meters/{meter.public_id}/readings/?status=review").json()["count"] == 0
    )
    after = (timezone.localdate() - timedelta(days=200)).isoformat()
    filtered = client.get(f"/api/v1/meters/{meter.public_id}/readings/?read_after={after}").json()
    assert 0 < filtered["count"] < 25


def test_query_counts_do_not_grow_with_meters(client, owner, meter, django_assert_max_num_queries):
    client.force_login(owner.user)
    client.get("/api/v1/meters/")
    for _ in range(5):
        MeterFactory(service_point=ServicePointFactory(customer=owner.customer))
    with django_assert_max_num_queries(12):
        assert client.get("/api/v1/meters/").json()["count"] == 6


def test_another_customers_meter_is_404(client, owner, meter):
    stranger = MembershipFactory(role="owner")
    client.force_login(stranger.user)
    assert client.get(f"/api/v1/meters/{meter.public_id}/").status_code == 404
    assert client.get(f"/api/v1/meters/{meter.public_id}/readings/").status_code == 404
    assert submit(client, meter, meter.last_value + 100).status_code == 404
    url = f"/api/v1/consumption/{meter.service_point.public_id}/"
    assert client.get(url).status_code == 404
    assert client.get("/api/v1/meters/").json()["count"] == 0


def test_billing_role_sees_no_meters(client, owner, meter):
    billing = MembershipFactory(customer=owner.customer, role="billing")
    client.force_login(billing.user)
    assert client.get("/api/v1/meters/").status_code == 403


def test_read_only_sees_meters_but_cannot_submit(client, owner, meter, open_window):
    reader = MembershipFactory(customer=owner.customer, role="read_only")
    client.force_login(reader.user)
    assert client.get("/api/v1/meters/").status_code == 200
    assert submit(client, meter, meter.last_value + 100).status_code == 403
    assert not Reading.objects.filter(source="customer").exists()


def test_technician_submits_a_plausible_reading(client, owner, meter, open_window):
    technician = MembershipFactory(customer=owner.customer, role="technical")
    client.force_login(technician.user)
    response = submit(client, meter, meter.last_value + 120)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["waits_for_review"] is False
    assert data["readings"][0]["status"] == "accepted"
    assert data["readings"][0]["has_photo"] is False
    reading = Reading.objects.get(source="customer")
    assert reading.submitted_by == technician.user
    assert reading.value == meter.last_value + 120
    assert not reading.photo


def test_an_implausible_reading_waits_for_review(client, owner, meter, open_window):
    client.force_login(owner.user)
    data = submit(client, meter, meter.last_value + 9000).json()
    assert data["waits_for_review"] is True
    assert data["readings"][0]["status"] == "review"


def test_lower_than_last_is_a_field_error(client, owner, meter, open_window):
    client.force_login(owner.user)
    response = submit(client, meter, meter.last_value - 1)
    assert response.status_code == 400
    assert "1.8.0" in str(response.json())
    assert not Reading.objects.filter(source="customer").exists()


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"values": {"1.8.0": "abc"}}, "Wpisz liczbę"),
        ({"values": {}}, "Wpisz wartość"),
        ({"values": {"9.9.9": "1"}}, "9.9.9"),
    ],
)
def test_bad_values_get_the_form_messages(client, owner, meter, open_window, payload, message):
    from django.utils import translation

    client.force_login(owner.user)
    with translation.override("en"):
        response = client.post(
            f"/api/v1/meters/{meter.public_id}/readings/",
            {"read_on": timezone.localdate().isoformat(), **payload},
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 400
    assert "values" in response.json() or "values" in str(response.json())
    assert not Reading.objects.filter(source="customer").exists()


def test_outside_the_window_nothing_is_stored(client, owner, meter):
    today = timezone.localdate()
    opens = today + timedelta(days=2)
    ReadingWindowFactory(start_day=opens.day, end_day=(today + timedelta(days=3)).day)
    client.force_login(owner.user)
    response = submit(client, meter, meter.last_value + 100)
    assert response.status_code == 400
    assert str(opens.year) in str(response.json())
    assert not Reading.objects.filter(source="customer").exists()


def test_without_a_window_the_company_reads(client, owner, meter):
    client.force_login(owner.user)
    response = submit(client, meter, meter.last_value + 100)
    assert response.status_code == 400
    assert not Reading.objects.filter(source="customer").exists()


def test_consumption_per_month(client, owner, meter):
    client.force_login(owner.user)
    data = client.get(f"/api/v1/consumption/{meter.service_point.public_id}/").json()
    assert data["unit"] == "kWh"
    assert len(data["months"]) >= 20
    year = data["months"][-1]["year"]
    only = client.get(f"/api/v1/consumption/{meter.service_point.public_id}/?year={year}").json()
    assert {m["year"] for m in only["months"]} == {year}
    bad = client.get(f"/api/v1/consumption/{meter.service_point.public_id}/?year=x")
    assert bad.status_code == 400


def test_multipart_with_a_photo_stores_it_privately(client, owner, meter, open_window):
    client.force_login(owner.user)
    content = png_bytes((40, 30))
    photo = SimpleUploadedFile("../../licznik.png", content, content_type="image/png")
    response = submit_with_photo(client, meter, meter.last_value + 120, photo)
    assert response.status_code == 201, response.content
    assert response.json()["readings"][0]["has_photo"] is True
    reading = Reading.objects.get(source="customer")
    assert reading.value == meter.last_value + 120
    assert reading.read_on == timezone.localdate()
    assert reading.photo.name.startswith("reading-photos/") and reading.photo.name.endswith(".png")
    assert "licznik" not in reading.photo.name and ".." not in reading.photo.name
    assert reading.photo.path.startswith(str(private_storage().location))
    with reading.photo.open("rb") as stored:
        assert stored.read() == content
    listed = client.get(f"/api/v1/meters/{meter.public_id}/readings/").json()["results"]
    assert [r["has_photo"] for r in listed if r["id"] == str(reading.public_id)] == [True]
    assert sum(r["has_photo"] for r in listed) == 1


def test_multipart_without_a_photo_is_a_plain_submission(client, owner, meter, open_window):
    client.force_login(owner.user)
    response = submit_with_photo(client, meter, meter.last_value + 120)
    assert response.status_code == 201, response.content
    assert response.json()["readings"][0]["has_photo"] is False
    assert not Reading.objects.get(source="customer").photo


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("licznik.png", lambda: b"<html><script>alert(1)</script></html>"),
        ("licznik.svg", lambda: b'<svg xmlns="http://www.w3.org/2000/svg"></svg>'),
        ("licznik.gif", lambda: b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
        ("licznik.png", lambda: b""),
        ("licznik.png", oversize_png),
    ],
    ids=["not an image", "svg", "gif", "empty", "over the limit"],
)
def test_a_bad_photo_is_refused_and_nothing_is_stored(
    client, owner, meter, open_window, name, content
):
    client.force_login(owner.user)
    before = stored_photos()
    photo = SimpleUploadedFile(name, content(), content_type="image/png")
    response = submit_with_photo(client, meter, meter.last_value + 120, photo)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == ["photo"]
    assert error["fields"]["photo"]
    assert not Reading.objects.filter(source="customer").exists()
    assert stored_photos() == before


def test_the_photo_gets_the_portal_form_messages(client, owner, meter, open_window):
    client.force_login(owner.user)
    photo = SimpleUploadedFile("licznik.png", oversize_png(), content_type="image/png")
    response = submit_with_photo(
        client, meter, meter.last_value + 120, photo, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.json()["error"]["fields"] == {"photo": ["The photo is larger than 8 MB."]}


def test_a_file_name_instead_of_a_file_is_refused(client, owner, meter, open_window):
    client.force_login(owner.user)
    response = submit_with_photo(client, meter, meter.last_value + 120, "licznik.png")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["photo"]
    assert not Reading.objects.filter(source="customer").exists()


def test_multipart_values_must_be_a_json_object(client, owner, meter, open_window):
    client.force_login(owner.user)
    before = stored_photos()
    url = f"/api/v1/meters/{meter.public_id}/readings/"
    today = timezone.localdate().isoformat()
    response = client.post(url, {"read_on": today, "values.1.8.0": "12345"})
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["values"]
    response = client.post(url, {"read_on": today, "values": "1.8.0=12345"})
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["values"]
    response = submit_with_photo(client, meter, "abc", SimpleUploadedFile("a.png", png_bytes()))
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["values.1.8.0"]
    assert not Reading.objects.filter(source="customer").exists()
    assert stored_photos() == before


def test_a_url_encoded_body_is_not_accepted(client, owner, meter, open_window):
    client.force_login(owner.user)
    response = client.post(
        f"/api/v1/meters/{meter.public_id}/readings/",
        "read_on=2026-01-31&values.1.8.0=12345",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 415
    assert not Reading.objects.filter(source="customer").exists()


@pytest.mark.parametrize(
    ("scope", "expected"),
    [(PersonalAccessToken.Scope.READ, 403), (PersonalAccessToken.Scope.WRITE, 201)],
)
def test_only_a_write_token_submits_a_photo(client, owner, meter, open_window, scope, expected):
    _token, raw = PersonalAccessToken.issue(
        user=owner.user,
        name="licznik",
        scope=scope,
        expires_at=timezone.now() + timedelta(days=1),
    )
    before = stored_photos()
    photo = SimpleUploadedFile("licznik.png", png_bytes(), content_type="image/png")
    response = submit_with_photo(
        client, meter, meter.last_value + 120, photo, HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert response.status_code == expected, response.content
    readings = Reading.objects.filter(source="customer")
    if expected == 403:
        assert response.json()["error"]["code"] == "permission_denied"
        assert not readings.exists()
        assert stored_photos() == before
    else:
        assert readings.get().photo
        assert len(stored_photos() - before) == 1
