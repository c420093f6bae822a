from datetime import date, timedelta
from decimal import Decimal

import pytest
from defusedxml import ElementTree
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.models import AuditEvent
from documents.storage import private_storage
from metering.models import Reading, TariffPrice
from metering.services import field_name
from tests.factories import (
    MembershipFactory,
    MeterFactory,
    ReadingFactory,
    ReadingWindowFactory,
    ServicePointFactory,
    monthly_readings,
    png_bytes,
)

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


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


def submit_url(meter):
    return reverse("metering:submit", kwargs={"meter_id": meter.public_id})


def post_reading(client, meter, value, **extra):
    data = {
        field_name(meter.registers.get()): str(value).replace(".", ","),
        "read_on": timezone.localdate().isoformat(),
        **extra,
    }
    return client.post(submit_url(meter), data)


def test_the_meter_list_shows_last_readings_and_the_open_window(client, owner, meter, open_window):
    client.force_login(owner.user)
    html = client.get(reverse("metering:meters")).content.decode()
    assert meter.serial_number in html
    assert submit_url(meter) in html
    assert "alert--info" in html  # the window is open


def test_outside_the_window_the_form_says_when_it_opens(client, owner, meter):
    today = timezone.localdate()
    opens = today + timedelta(days=2)
    closes = today + timedelta(days=3)
    ReadingWindowFactory(start_day=opens.day, end_day=closes.day)
    client.force_login(owner.user)
    response = client.get(submit_url(meter))
    assert "<form" not in response.content.decode().split('id="main"')[-1].split("</main>")[0]
    assert str(opens.day) in response.content.decode()
    post_reading(client, meter, meter.last_value + 100)
    assert not Reading.objects.filter(source="customer").exists()


def test_without_a_window_the_company_reads_the_meter(client, owner, meter):
    client.force_login(owner.user)
    response = client.get(submit_url(meter))
    assert response.status_code == 200
    assert 'name="read_on"' not in response.content.decode()


def test_lower_than_last_is_shown_under_the_field(client, owner, meter, open_window):
    client.force_login(owner.user)
    response = post_reading(client, meter, meter.last_value - 1)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="id_{field_name(meter.registers.get())}_error"' in html
    assert not Reading.objects.filter(source="customer").exists()


def test_a_plausible_reading_lands_in_the_history(client, owner, meter, open_window):
    client.force_login(owner.user)
    response = post_reading(client, meter, meter.last_value + 120)
    assert response.status_code == 302
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "alert--success" in html
    assert "status--accepted" in html
    reading = Reading.objects.get(source="customer")
    assert reading.submitted_by == owner.user
    assert AuditEvent.objects.filter(action="reading_submitted", customer=owner.customer).exists()


def test_an_implausible_reading_tells_the_customer_it_will_be_checked(
    client, owner, meter, open_window
):
    client.force_login(owner.user)
    response = post_reading(client, meter, meter.last_value + 9000)
    html = client.get(response["Location"]).content.decode()
    assert "alert--warning" in html
    assert "status--review" in html


def test_a_photo_is_stored_privately_under_a_generated_name(
    client, owner, meter, open_window, settings
):
    client.force_login(owner.user)
    photo = SimpleUploadedFile("../../licznik.png", png_bytes(), content_type="image/png")
    post_reading(client, meter, meter.last_value + 120, photo=photo)
    reading = Reading.objects.get(source="customer")
    assert reading.photo.name.startswith("reading-photos/")
    assert "licznik" not in reading.photo.name and ".." not in reading.photo.name
    assert reading.photo.path.startswith(str(private_storage().location))
    assert not reading.photo.path.startswith(str(settings.MEDIA_ROOT))
    response = client.get(reverse("metering:photo", kwargs={"reading_id": reading.public_id}))
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("licznik.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("licznik.png", b"<html><script>alert(1)</script></html>"),
        ("licznik.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
    ],
)
def test_a_photo_that_is_not_a_jpeg_or_png_picture_is_refused(
    client, owner, meter, open_window, name, content
):
    client.force_login(owner.user)
    photo = SimpleUploadedFile(name, content, content_type="image/png")
    response = post_reading(client, meter, meter.last_value + 120, photo=photo)
    assert response.status_code == 200
    assert 'id="id_photo_error"' in response.content.decode()
    assert not Reading.objects.filter(source="customer").exists()


def test_a_replaced_meter_takes_no_readings(client, owner, meter, open_window):
    meter.removed_on = timezone.localdate() - timedelta(days=1)
    meter.save()
    client.force_login(owner.user)
    assert 'name="read_on"' not in client.get(submit_url(meter)).content.decode()
    post_reading(client, meter, meter.last_value + 120)
    assert not Reading.objects.filter(source="customer").exists()


@pytest.mark.parametrize(("role", "status"), [("billing", 403), ("read_only", 403)])
def test_who_may_not_submit(client, meter, open_window, role, status):
    member = MembershipFactory(customer=meter.service_point.customer, role=role)
    client.force_login(member.user)
    assert client.get(submit_url(meter)).status_code == status
    assert post_reading(client, meter, meter.last_value + 120).status_code == status


def test_a_technician_reads_meters_of_their_service_points(client, meter, open_window):
    technician = MembershipFactory(customer=meter.service_point.customer, role="technical")
    technician.service_points.set([meter.service_point])
    client.force_login(technician.user)
    assert post_reading(client, meter, meter.last_value + 120).status_code == 302


def test_the_chart_has_a_title_axis_labels_and_a_table_as_text_alternative(client, owner, meter):
    client.force_login(owner.user)
    html = client.get(reverse("metering:meter", kwargs={"meter_id": meter.public_id})).content
    html = html.decode()
    start = html.index("<svg")
    svg = ElementTree.fromstring(html[start : html.index("</svg>", start) + 6])
    labelled_by = svg.get("aria-labelledby").split()
    assert svg.get("role") == "img"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert [title.get("id"), desc.get("id")] == labelled_by
    assert title.text and desc.text
    axis_labels = [
        element.text
        for element in svg.iter(f"{SVG}text")
        if "chart-axis-label" in (element.get("class") or "")
    ]
    assert "kWh" in axis_labels and len(axis_labels) == 2
    assert "<details" in html and "<caption>" in html  # the figures as a table


def _queries(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("page", ["meter", "consumption", "dashboard", "meters"])
def test_query_counts_do_not_grow_with_the_readings(client, home_page, page):
    counts = []
    for months in (3, 36):
        owner = MembershipFactory(role="owner")
        point = ServicePointFactory(customer=owner.customer)
        meter = MeterFactory(service_point=point, registers=[("1", "dzień"), ("2", "noc")])
        monthly_readings(meter, months=months)
        ReadingWindowFactory()
        urls = {
            "meter": reverse("metering:meter", kwargs={"meter_id": meter.public_id}),
            "consumption": reverse(
                "metering:consumption", kwargs={"service_point_id": point.public_id}
            ),
            "dashboard": reverse("customer:dashboard"),
            "meters": reverse("metering:meters"),
        }
        client.force_login(owner.user)
        counts.append(_queries(client, urls[page]))
    assert counts[0] == counts[1]


def test_csv_export_of_readings_and_consumption(client, owner, meter):
    client.force_login(owner.user)
    url = reverse("metering:export", kwargs={"service_point_id": meter.service_point.public_id})
    today = timezone.localdate()
    period = {"from": (today - timedelta(days=100)).isoformat(), "to": today.isoformat()}
    response = client.get(url, {"kind": "readings", **period})
    assert response["Content-Type"].startswith("text/csv")
    assert response["Cache-Control"] == "private, no-store"
    rows = response.content.decode("utf-8-sig").splitlines()
    assert len(rows) == 1 + Reading.objects.filter(read_on__gte=period["from"]).count()
    response = client.get(url, {"kind": "consumption", **period})
    rows = [row.split(";") for row in response.content.decode("utf-8-sig").splitlines()[1:]]
    assert rows and all(row[0] == meter.serial_number for row in rows)
    # five units a day between readings on the 28th of consecutive months
    assert {row[4] for row in rows} <= {"140", "145", "150", "155"}
    assert AuditEvent.objects.filter(action="download", customer=owner.customer).count() == 2


def test_csv_export_with_a_bad_date_names_the_field(client, owner, meter):
    client.force_login(owner.user)
    url = reverse("metering:export", kwargs={"service_point_id": meter.service_point.public_id})
    response = client.get(url, {"kind": "readings", "from": "2026-13-01"})
    assert response.status_code == 400
    assert "2026-01-31" in response.content.decode()


def test_the_cost_estimate_prices_what_was_read_since_the_last_invoiced_reading(
    client, owner, meter
):
    register = meter.registers.get()
    last_billed = register.readings.order_by("-read_on").first()
    ReadingFactory(
        register=register,
        value=last_billed.value + 100,
        read_on=last_billed.read_on + timedelta(days=20),
        source="customer",
    )
    TariffPrice.objects.create(
        tariff="G11",
        name="Energia",
        unit_price=Decimal("0.80000"),
        vat_rate=Decimal("23"),
        valid_from=date(2020, 1, 1),
    )
    client.force_login(owner.user)
    url = reverse(
        "metering:consumption", kwargs={"service_point_id": meter.service_point.public_id}
    )
    response = client.get(url)
    estimate = response.context["estimate"]
    assert (estimate.net, estimate.vat, estimate.gross) == (
        Decimal("80.00"),
        Decimal("18.40"),
        Decimal("98.40"),
    )
    assert "98,40" in response.content.decode()


def test_the_dashboard_says_a_reading_is_due_until_it_is_given(client, owner, meter, open_window):
    client.force_login(owner.user)
    assert submit_url(meter) in client.get(reverse("customer:dashboard")).content.decode()
    post_reading(client, meter, meter.last_value + 120)
    html = client.get(reverse("customer:dashboard")).content.decode()
    assert submit_url(meter) not in html
    assert 'class="chart"' in html


def test_the_personal_data_export_holds_the_readings_the_user_gave(client, owner, meter):
    import io
    import json
    import zipfile

    from customers.privacy import build_personal_data_zip

    reading = ReadingFactory(
        register=meter.registers.get(),
        source="customer",
        submitted_by=owner.user,
        photo=SimpleUploadedFile("x.png", png_bytes()),
    )
    ReadingFactory(register=meter.registers.get(), source="customer")  # someone else's
    archive = zipfile.ZipFile(io.BytesIO(build_personal_data_zip(owner.user)))
    rows = json.loads(archive.read("meter-readings.json"))
    assert [row["meter"] for row in rows] == [meter.serial_number]
    assert archive.read(rows[0]["photo"]) == png_bytes()
    assert str(reading.public_id) in rows[0]["photo"]
