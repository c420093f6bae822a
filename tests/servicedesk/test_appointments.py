"""Appointments: the customer and the desk agree on one time, under one gate; the .ics file.

Labels are not asserted in Polish (their translations land separately); data and the
refusals' field names are.
"""

from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from servicedesk import appointments, services
from servicedesk.appointments import SlotChoice, ics_fold, ics_text
from servicedesk.models import AppointmentSlot, Event, Holiday, Request, RequestType
from servicedesk.sla import BusinessClock
from tests.conftest import verify_with_second_factor
from tests.factories import MembershipFactory, ServicePointFactory

pytestmark = pytest.mark.django_db

SlotStatus = AppointmentSlot.Status
WARSAW = timezone.get_default_timezone()


def working_days(calendar, count: int, start: int = 2) -> list[date]:
    """The first `count` working days from `start` days after today."""
    clock = BusinessClock(calendar)
    day, found = timezone.localdate() + timedelta(days=start), []
    while len(found) < count:
        if clock.is_working_day(day):
            found.append(day)
        day += timedelta(days=1)
    return found


def next_saturday() -> date:
    day = timezone.localdate() + timedelta(days=1)
    while day.weekday() != 5:
        day += timedelta(days=1)
    return day


def slot_data(*slots: tuple[date, str, int]) -> dict:
    data = {}
    for number, (day, start, hours) in enumerate(slots, start=1):
        data |= {
            f"date_{number}": day.isoformat(),
            f"start_{number}": start,
            f"hours_{number}": str(hours),
        }
    return data


@pytest.fixture
def visit(desk, home_page):
    """A meter failure (category service) at the owner's service point, filed by the owner."""
    service = RequestType.objects.create(
        slug="awaria",
        name="Awaria licznika",
        name_en="Meter failure",
        category=RequestType.Category.SERVICE,
        team=desk.team,
        calendar=desk.calendar,
    )
    return services.file_request(
        membership=desk.owner,
        user=desk.owner.user,
        request_type=service,
        data={},
        service_point=desk.point,
        subject="Licznik nie działa",
    )


@pytest.fixture
def customer(client, desk, visit):
    client.force_login(desk.owner.user)
    return client


def propose_url(request):
    return reverse("servicedesk:propose_slots", kwargs={"request_id": request.public_id})


def confirm_url(slot):
    return reverse(
        "servicedesk:confirm_slot",
        kwargs={"request_id": slot.request.public_id, "slot_id": slot.public_id},
    )


def ics_url(slot):
    return reverse("servicedesk:appointment_ics", kwargs={"slot_id": slot.public_id})


def detail_url(request):
    return reverse("servicedesk:request", kwargs={"request_id": request.public_id})


# The .ics read back: unfolded, every line checked for length and line ends.


def unfold(content: bytes) -> list[str]:
    text = content.decode("utf-8")
    assert text.endswith("\r\n")
    physical = text.split("\r\n")[:-1]
    for line in physical:
        assert len(line.encode("utf-8")) <= 75, line
        assert "\n" not in line and "\r" not in line
    lines: list[str] = []
    for line in physical:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def unescape(value: str) -> str:
    out, chars = [], iter(value)
    for char in chars:
        if char == "\\":
            following = next(chars)
            out.append("\n" if following in "nN" else following)
        else:
            out.append(char)
    return "".join(out)


def properties(lines: list[str]) -> dict[str, str]:
    """NAME → value of the VEVENT's properties (each occurs once here)."""
    start, end = lines.index("BEGIN:VEVENT"), lines.index("END:VEVENT")
    found = {}
    for line in lines[start + 1 : end]:
        name, _sep, value = line.partition(":")
        assert name not in found
        found[name] = value
    return found


def ics_instant(value: str) -> datetime:
    assert value.endswith("Z")
    return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


# The whole flow.


def test_the_customer_proposes_the_desk_confirms_one_and_the_customer_takes_it_home(
    customer, staff_client, desk, visit, mailoutbox, django_capture_on_commit_callbacks
):
    first, second = working_days(desk.calendar, 2)
    with django_capture_on_commit_callbacks(execute=True):
        response = customer.post(
            propose_url(visit), slot_data((first, "09:00", 1), (second, "14:00", 2))
        )
    assert response.status_code == 302 and response.url == detail_url(visit)
    slots = list(visit.slots.order_by("starts_at"))
    assert [(s.status, s.proposed_by_staff) for s in slots] == [(SlotStatus.PROPOSED, False)] * 2
    assert timezone.localtime(slots[1].starts_at).time() == time(14)
    assert slots[1].ends_at - slots[1].starts_at == timedelta(hours=2)
    assert slots[0].location == desk.point.address
    # The desk hears of it (no assignee: the whole team), the customer does not.
    assert sorted(m.to[0] for m in mailoutbox) == ["agent@example.pl", "lead@example.pl"]
    assert all(visit.reference in m.subject for m in mailoutbox)
    mailoutbox.clear()

    page = staff_client.get(reverse("servicedesk_request", args=[visit.pk]))
    assert page.status_code == 200
    assert reverse("servicedesk_slot_confirm", args=[slots[1].pk]) in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("servicedesk_slot_confirm", args=[slots[1].pk]))
    assert response.status_code == 302
    assert response.url == reverse("servicedesk_request", args=[visit.pk])
    for slot in slots:
        slot.refresh_from_db()
    assert [s.status for s in slots] == [SlotStatus.DECLINED, SlotStatus.CONFIRMED]
    assert [m.to[0] for m in mailoutbox] == [desk.owner.user.email]
    assert visit.reference in mailoutbox[0].subject
    events = visit.events.filter(kind=Event.Kind.APPOINTMENT)
    assert events.count() == 2 and all(event.public for event in events)

    confirmed = slots[1]
    page = customer.get(detail_url(visit)).content.decode()
    assert ics_url(confirmed) in page and 'data-appointment="confirmed"' in page
    listing = customer.get(reverse("servicedesk:appointments"))
    assert listing.status_code == 200
    assert visit.reference in listing.content.decode()
    assert ics_url(confirmed) in listing.content.decode()
    assert ics_url(slots[0]) not in listing.content.decode()

    download = customer.get(ics_url(confirmed))
    assert download.status_code == 200
    assert download["Content-Type"] == "text/calendar; charset=utf-8"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["Content-Disposition"].endswith(f'{visit.reference}.ics"')
    assert download["Cache-Control"] == "private, no-store"
    assert download["X-Content-Type-Options"] == "nosniff"
    lines = unfold(download.content)
    assert lines[:2] == ["BEGIN:VCALENDAR", "VERSION:2.0"] and lines[-1] == "END:VCALENDAR"
    assert any(line.startswith("PRODID:") for line in lines)
    event = properties(lines)
    assert event["UID"] == f"appointment-{confirmed.public_id}@testserver"
    assert ics_instant(event["DTSTART"]) == confirmed.starts_at
    assert ics_instant(event["DTEND"]) == confirmed.ends_at
    assert abs(ics_instant(event["DTSTAMP"]) - timezone.now()) < timedelta(minutes=1)
    assert visit.reference in unescape(event["SUMMARY"])
    assert unescape(event["LOCATION"]) == desk.point.address
    assert "\\," in event["LOCATION"]  # "ul. Polna 1, 00-001 Warszawa"
    # The UID stays the same on the next download.
    assert properties(unfold(customer.get(ics_url(confirmed)).content))["UID"] == event["UID"]


def test_the_desk_proposes_and_the_customer_confirms(
    customer, staff_client, desk, visit, mailoutbox, django_capture_on_commit_callbacks
):
    customer_day, *desk_days = working_days(desk.calendar, 4)
    services_slot = appointments.propose_slots(
        visit,
        actor=desk.owner.user,
        by_staff=False,
        choices=[SlotChoice(customer_day, time(9), 1)],
    )[0]
    form_page = staff_client.get(reverse("servicedesk_slot_propose", args=[visit.pk]))
    assert form_page.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("servicedesk_slot_propose", args=[visit.pk]),
            slot_data(*((day, "10:00", 1) for day in desk_days)),
        )
    assert response.status_code == 302
    services_slot.refresh_from_db()
    assert services_slot.status == SlotStatus.DECLINED  # the desk's times replace the customer's
    offered = list(visit.slots.filter(status=SlotStatus.PROPOSED).order_by("starts_at"))
    assert len(offered) == 3 and all(slot.proposed_by_staff for slot in offered)
    assert desk.owner.user.email in [m.to[0] for m in mailoutbox]

    page = customer.get(detail_url(visit)).content.decode()
    assert all(confirm_url(slot) in page for slot in offered)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = customer.post(confirm_url(offered[2]))
    assert response.status_code == 302 and response.url == detail_url(visit)
    statuses = dict(visit.slots.values_list("pk", "status"))
    assert statuses[offered[2].pk] == SlotStatus.CONFIRMED
    assert [statuses[slot.pk] for slot in offered[:2]] == [SlotStatus.DECLINED] * 2
    assert sorted(m.to[0] for m in mailoutbox) == ["agent@example.pl", "lead@example.pl"]


# Refusals: each names the field and changes nothing.

NOW = datetime(2026, 4, 29, 10, 0, tzinfo=WARSAW)  # a Wednesday; 1 May is a Friday off


@pytest.mark.parametrize(
    ("choice", "field", "words"),
    [
        (SlotChoice(date(2026, 4, 28), time(10), 1), "date_1", "passed"),
        (SlotChoice(date(2026, 4, 29), time(9), 1), "start_1", "passed"),
        (SlotChoice(date(2026, 5, 2), time(10), 1), "date_1", "day off"),  # Saturday
        (SlotChoice(date(2026, 5, 1), time(10), 1), "date_1", "day off"),  # Labour Day
        (SlotChoice(date(2026, 5, 4), time(7, 30), 1), "start_1", "between"),
        (SlotChoice(date(2026, 5, 4), time(15, 30), 1), "start_1", "end by"),
        (SlotChoice(date(2026, 5, 4), time(15), 2), "start_1", "end by"),
        (SlotChoice(date(2026, 5, 4), time(10), 3), "hours_1", "1 or 2"),
        (SlotChoice(date(2026, 6, 29), time(10), 1), "date_1", "60"),
        (SlotChoice(date(2026, 5, 4), None, 1), "start_1", "start"),
    ],
)
def test_a_time_outside_the_rules_is_refused_on_its_field(desk, choice, field, words):
    with translation.override("en"):
        errors = appointments.slot_errors(desk.calendar, [choice], now=NOW)
    assert list(errors) == [field]
    assert words in errors[field]


def test_the_rules_allow_working_hours_to_the_minute_of_closing(desk):
    choices = [
        SlotChoice(date(2026, 4, 29), time(14), 2),  # today, later, ends at closing
        SlotChoice(date(2026, 5, 4), time(8), 1),  # at opening
        SlotChoice(date(2026, 6, 26), time(10), 1),  # the 58th day, a Friday
    ]
    assert appointments.slot_errors(desk.calendar, choices, now=NOW) == {}


def test_a_company_day_off_and_a_repeated_time_are_refused(desk):
    Holiday.objects.create(calendar=desk.calendar, day=date(2026, 5, 5), name="Inwentaryzacja")
    errors = appointments.slot_errors(
        desk.calendar,
        [
            SlotChoice(date(2026, 5, 4), time(10), 1),
            SlotChoice(date(2026, 5, 5), time(10), 1),
            SlotChoice(date(2026, 5, 4), time(10), 2),
        ],
        now=NOW,
    )
    assert set(errors) == {"date_2", "start_3"}


def test_the_customer_reads_what_is_wrong_next_to_the_field(customer, desk, visit):
    saturday = next_saturday()
    (good,) = working_days(desk.calendar, 1)
    response = customer.post(
        propose_url(visit), slot_data((good, "10:00", 1), (saturday, "10:00", 1))
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_date_2_error"' in page and 'id="id_date_1_error"' not in page
    assert not visit.slots.exists()

    response = customer.post(propose_url(visit), slot_data((good, "15:30", 1)))
    assert response.status_code == 400
    assert 'id="id_start_1_error"' in response.content.decode()
    assert customer.post(propose_url(visit), {}).status_code == 400
    assert not visit.slots.exists()


def test_the_desk_reads_what_is_wrong_next_to_the_field(staff_client, desk, visit):
    response = staff_client.post(
        reverse("servicedesk_slot_propose", args=[visit.pk]),
        slot_data((next_saturday(), "10:00", 1)),
    )
    assert response.status_code == 400
    assert not visit.slots.exists()


def test_no_appointments_on_a_closed_request_or_a_complaint(customer, desk, visit, filed):
    (day,) = working_days(desk.calendar, 1)
    choice = [SlotChoice(day, time(10), 1)]
    with pytest.raises(ValidationError, match="not made|nie"):
        appointments.propose_slots(filed, actor=desk.owner.user, by_staff=False, choices=choice)
    Request.objects.filter(pk=visit.pk).update(status=Request.Status.CLOSED)
    with pytest.raises(ValidationError, match="closed|zamkn"):
        appointments.propose_slots(visit, actor=desk.owner.user, by_staff=False, choices=choice)
    # The page sends the customer back with the reason.
    response = customer.get(propose_url(visit))
    assert response.status_code == 302 and response.url == detail_url(visit)
    response = customer.post(propose_url(visit), slot_data((day, "10:00", 1)))
    assert response.status_code == 400
    assert not AppointmentSlot.objects.exists()


def test_only_one_time_is_ever_confirmed(desk, visit, admin_user):
    days = working_days(desk.calendar, 2)
    first, second = appointments.propose_slots(
        visit,
        actor=admin_user,
        by_staff=True,
        choices=[SlotChoice(day, time(10), 1) for day in days],
    )
    with pytest.raises(ValidationError, match="other side|drug"):
        appointments.confirm_slot(first, actor=admin_user, by_staff=True)
    appointments.confirm_slot(first, actor=desk.owner.user, by_staff=False)
    with pytest.raises(ValidationError, match="already confirmed|już"):
        appointments.confirm_slot(second, actor=desk.owner.user, by_staff=False)
    with pytest.raises(ValidationError, match="already confirmed|już"):
        appointments.propose_slots(
            visit, actor=admin_user, by_staff=True, choices=[SlotChoice(days[1], time(12), 1)]
        )
    assert visit.slots.filter(status=SlotStatus.CONFIRMED).count() == 1
    # The desk may call it off; then a new time can be agreed.
    appointments.cancel_appointment(visit, actor=admin_user)
    assert not visit.slots.filter(status=SlotStatus.CONFIRMED).exists()
    appointments.propose_slots(
        visit, actor=admin_user, by_staff=True, choices=[SlotChoice(days[1], time(12), 1)]
    )


def test_a_second_confirmation_through_the_page_is_refused(customer, desk, visit, admin_user):
    first, second = appointments.propose_slots(
        visit,
        actor=admin_user,
        by_staff=True,
        choices=[SlotChoice(day, time(10), 1) for day in working_days(desk.calendar, 2)],
    )
    assert customer.post(confirm_url(first)).status_code == 302
    response = customer.post(confirm_url(second), follow=True)
    assert response.status_code == 200
    second.refresh_from_db()
    assert second.status == SlotStatus.DECLINED
    assert visit.slots.filter(status=SlotStatus.CONFIRMED).get() == first


def test_a_time_that_has_passed_is_not_confirmed(desk, visit, admin_user):
    (day,) = working_days(desk.calendar, 1)
    (slot,) = appointments.propose_slots(
        visit, actor=admin_user, by_staff=True, choices=[SlotChoice(day, time(10), 1)]
    )
    later = slot.starts_at + timedelta(minutes=1)
    with pytest.raises(ValidationError, match="passed|minął"):
        appointments.confirm_slot(slot, actor=desk.owner.user, by_staff=False, now=later)


# One gate.


@pytest.fixture
def confirmed_visit(desk, visit, admin_user):
    slot = appointments.propose_slots(
        visit,
        actor=admin_user,
        by_staff=True,
        choices=[SlotChoice(day, time(10), 1) for day in working_days(desk.calendar, 2)],
    )[0]
    return SimpleNamespace(
        request=visit,
        slot=appointments.confirm_slot(slot, actor=desk.owner.user, by_staff=False),
        other=visit.slots.exclude(pk=slot.pk).get(),
    )


def test_another_customer_finds_neither_the_slot_nor_the_calendar_file(
    client, home_page, confirmed_visit
):
    stranger = MembershipFactory(role="owner")
    client.force_login(stranger.user)
    request = confirmed_visit.request
    assert client.get(ics_url(confirmed_visit.slot)).status_code == 404
    assert client.post(confirm_url(confirmed_visit.other)).status_code == 404
    assert client.get(propose_url(request)).status_code == 404
    assert (
        confirmed_visit.request.reference
        not in client.get(reverse("servicedesk:appointments")).content.decode()
    )


def test_a_member_limited_to_another_service_point_does_not_see_it(
    client, desk, home_page, confirmed_visit
):
    other_point = ServicePointFactory(customer=desk.owner.customer)
    technician = MembershipFactory(customer=desk.owner.customer, role="technical")
    technician.service_points.set([other_point])
    client.force_login(technician.user)
    assert client.get(ics_url(confirmed_visit.slot)).status_code == 404


def test_only_a_confirmed_time_has_a_calendar_file(customer, confirmed_visit):
    assert customer.get(ics_url(confirmed_visit.other)).status_code == 404


def test_the_desk_needs_the_permission_to_change_requests(client, desk, confirmed_visit):
    """Wagtail turns the refusal into a redirect to the dashboard; nothing changes."""
    desk.agent.user_permissions.add(Permission.objects.get(codename="access_admin"))
    verify_with_second_factor(client, desk.agent)
    pk = confirmed_visit.request.pk
    assert client.get(reverse("servicedesk_slot_propose", args=[pk]))["Location"] == "/admin/"
    response = client.post(reverse("servicedesk_slot_cancel", args=[pk]))
    assert response["Location"] == "/admin/"
    response = client.post(reverse("servicedesk_slot_confirm", args=[confirmed_visit.other.pk]))
    assert response["Location"] == "/admin/"
    assert confirmed_visit.request.slots.get(status=SlotStatus.CONFIRMED) == confirmed_visit.slot


# The iCalendar file on its own.


def test_text_values_are_escaped():
    assert ics_text("a,b;c\\d\ne\r\nf") == "a\\,b\\;c\\\\d\\ne\\nf"


def test_long_lines_fold_at_75_octets_without_splitting_a_letter():
    line = "SUMMARY:" + "Zażółć gęślą jaźń, " * 12
    folded = ics_fold(line)
    physical = folded.split("\r\n")
    assert len(physical) > 2
    assert all(len(part.encode("utf-8")) <= 75 for part in physical)
    assert all(part.startswith(" ") for part in physical[1:])
    assert "".join([physical[0], *(part[1:] for part in physical[1:])]) == line
    assert ics_fold("SHORT:x") == "SHORT:x"


def test_the_file_carries_awkward_text_intact(confirmed_visit):
    request = confirmed_visit.request
    request.subject = 'Awaria; licznik, "A\\B" — zażółć gęślą jaźń ' * 3
    request.save()
    slot = AppointmentSlot.objects.select_related("request__request_type").get(
        pk=confirmed_visit.slot.pk
    )
    slot.location = "ul. Długa 5; lok. 2, Łódź"
    fixed = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    content = appointments.appointment_ics(slot, now=fixed)
    assert b"\r\n" in content and b"\n" not in content.replace(b"\r\n", b"")
    event = properties(unfold(content))
    assert event["DTSTAMP"] == "20260102T030405Z"
    assert unescape(event["SUMMARY"]).endswith(request.subject)
    assert unescape(event["LOCATION"]) == "ul. Długa 5; lok. 2, Łódź"
    description = unescape(event["DESCRIPTION"])
    assert request.reference in description and "\n" in description
    assert event["URL"].endswith(detail_url(request))
