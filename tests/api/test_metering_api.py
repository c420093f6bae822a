from datetime import timedelta

import pytest
from django.utils import timezone

from metering.models import Reading
from tests.factories import (
    MembershipFactory,
    MeterFactory,
    ReadingWindowFactory,
    ServicePointFactory,
    monthly_readings,
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
    assert Reading.objects.get(source="customer").submitted_by == technician.user


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
