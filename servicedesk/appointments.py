"""Appointments: the customer and the desk agree on a time for a visit or a meeting.

One side proposes one to three times, the other confirms one of them (the rest are
declined) or proposes times of its own, which replace every open proposal. A request
has at most one confirmed appointment: confirming happens under the request's row
lock. A confirmed appointment can be taken home as an iCalendar file (RFC 5545).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import AppointmentSlot, Event, Request, RequestType
from .services import _tell_customer, _tell_desk, locked, portal_url
from .sla import BusinessClock

APPOINTMENT_CATEGORIES = (RequestType.Category.APPOINTMENT, RequestType.Category.SERVICE)
MAX_SLOTS = 3
DURATIONS = (1, 2)  # hours
BOOKING_HORIZON_DAYS = 60

SlotStatus = AppointmentSlot.Status


@dataclass(frozen=True)
class SlotChoice:
    """A time as someone proposes it: a local day, a start and a length in hours."""

    day: date | None
    start: time | None
    hours: int | None


@dataclass(frozen=True)
class Appointments:
    """A request's appointment as each side reads it."""

    takes_appointments: bool
    confirmed: AppointmentSlot | None
    proposed_by_staff: list[AppointmentSlot]
    proposed_by_customer: list[AppointmentSlot]
    declined: list[AppointmentSlot]
    can_propose: bool


def takes_appointments(request: Request) -> bool:
    """Visits and meetings are agreed on requests of the appointment and service types."""
    return request.request_type.category in APPOINTMENT_CATEGORIES


def appointments_of(request: Request) -> Appointments:
    """The request's slots sorted by who proposed them and where they stand (one query)."""
    slots = list(request.slots.all())
    confirmed = next((s for s in slots if s.status == SlotStatus.CONFIRMED), None)
    proposed = [s for s in slots if s.status == SlotStatus.PROPOSED]
    takes = takes_appointments(request)
    return Appointments(
        takes_appointments=takes,
        confirmed=confirmed,
        proposed_by_staff=[s for s in proposed if s.proposed_by_staff],
        proposed_by_customer=[s for s in proposed if not s.proposed_by_staff],
        declined=[s for s in slots if s.status == SlotStatus.DECLINED],
        can_propose=takes and request.is_open and confirmed is None,
    )


def confirmed_appointments(requests):
    """Confirmed slots of the given requests (a membership's, through its gate), soonest first."""
    return (
        AppointmentSlot.objects.filter(request__in=requests, status=SlotStatus.CONFIRMED)
        .select_related("request__request_type", "request__service_point")
        .order_by("starts_at")
    )


def slot_errors(
    calendar, choices: Sequence[SlotChoice], *, now: datetime | None = None
) -> dict[str, str]:
    """What is wrong with each proposed time, keyed by form field: `date_2`, `start_1`…

    A time must be in the future, within the next 60 days, on a working day of the
    request type's calendar, and begin and end inside its opening hours.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    last_day = today + timedelta(days=BOOKING_HORIZON_DAYS)
    clock = BusinessClock(calendar)
    opens, closes = calendar.opens_at, calendar.closes_at
    errors: dict[str, str] = {}
    seen: set[datetime] = set()
    for number, choice in enumerate(choices, start=1):
        if choice.day is None:
            errors[f"date_{number}"] = _("Give the date.")
            continue
        if choice.start is None:
            errors[f"start_{number}"] = _("Give the start time.")
            continue
        if choice.hours not in DURATIONS:
            errors[f"hours_{number}"] = _("Choose 1 or 2 hours.")
            continue
        if choice.day < today:
            errors[f"date_{number}"] = _("This date has passed.")
            continue
        if choice.day > last_day:
            errors[f"date_{number}"] = _(
                "Choose a date within the next %(days)d days, by %(last)s."
            ) % {"days": BOOKING_HORIZON_DAYS, "last": formats.date_format(last_day, "d.m.Y")}
            continue
        if not clock.is_working_day(choice.day):
            errors[f"date_{number}"] = _("%(date)s is a day off; choose a working day.") % {
                "date": formats.date_format(choice.day, "l, d.m.Y")
            }
            continue
        ends = datetime.combine(choice.day, choice.start) + timedelta(hours=choice.hours)
        if choice.start < opens or ends > datetime.combine(choice.day, closes):
            errors[f"start_{number}"] = _(
                "Choose a time between %(opens)s and %(closes)s; the visit must end by %(closes)s."
            ) % {"opens": opens.strftime("%H:%M"), "closes": closes.strftime("%H:%M")}
            continue
        starts = slot_times(choice)[0]
        if starts <= now:
            errors[f"start_{number}"] = _("This time has passed.")
            continue
        if starts in seen:
            errors[f"start_{number}"] = _("You have given this time already.")
            continue
        seen.add(starts)
    return errors


def slot_times(choice: SlotChoice) -> tuple[datetime, datetime]:
    """The choice's start and end as aware instants; the day's wall clock, DST included."""
    tz = timezone.get_default_timezone()
    starts = datetime.combine(choice.day, choice.start, tzinfo=tz)
    return starts, (starts.astimezone(UTC) + timedelta(hours=choice.hours)).astimezone(tz)


def describe(slot: AppointmentSlot) -> str:
    """ "12.05.2026 10:00–11:00", local time, for the history and e-mails."""
    starts, ends = timezone.localtime(slot.starts_at), timezone.localtime(slot.ends_at)
    return f"{starts:%d.%m.%Y %H:%M}–{ends:%H:%M}"


@transaction.atomic
def propose_slots(
    request: Request, *, actor, by_staff: bool, choices: Sequence[SlotChoice], now=None
) -> list[AppointmentSlot]:
    """One to three new times from one side; every earlier open proposal is withdrawn."""
    if not 1 <= len(choices) <= MAX_SLOTS:
        raise ValidationError(_("Propose one to three times."))
    request = locked(request)
    _check_can_agree(request)
    if request.slots.filter(status=SlotStatus.CONFIRMED).exists():
        raise ValidationError(_("An appointment is already confirmed for this request."))
    errors = slot_errors(request.request_type.calendar, choices, now=now)
    if errors:
        raise ValidationError(errors)
    request.slots.filter(status=SlotStatus.PROPOSED).update(status=SlotStatus.DECLINED)
    location = request.service_point.address if request.service_point_id else ""
    slots = []
    for choice in choices:
        starts, ends = slot_times(choice)
        slots.append(
            AppointmentSlot.objects.create(
                request=request,
                starts_at=starts,
                ends_at=ends,
                proposed_by_staff=by_staff,
                location=location,
            )
        )
    Event.objects.create(
        request=request,
        kind=Event.Kind.APPOINTMENT,
        actor=actor,
        public=True,
        text=_("Proposed: %(times)s") % {"times": ", ".join(describe(s) for s in slots)},
    )
    if by_staff:
        _tell_customer(request, "servicedesk/email/appointment", slots=slots, confirmed=None)
    else:
        _tell_desk(request, "servicedesk/email/desk_appointment", slots=slots, confirmed=None)
    return slots


@transaction.atomic
def confirm_slot(slot: AppointmentSlot, *, actor, by_staff: bool, now=None) -> AppointmentSlot:
    """Agree to a time the other side proposed; the other open proposals are declined."""
    request = locked(slot.request)
    slot = AppointmentSlot.objects.get(pk=slot.pk, request=request)
    _check_can_agree(request)
    if request.slots.filter(status=SlotStatus.CONFIRMED).exists():
        raise ValidationError(_("An appointment is already confirmed for this request."))
    if slot.status != SlotStatus.PROPOSED:
        raise ValidationError(_("This time is no longer on offer; choose another."))
    if slot.proposed_by_staff == by_staff:
        raise ValidationError(_("Only the other side can confirm a time you proposed."))
    if slot.starts_at <= (now or timezone.now()):
        raise ValidationError(_("This time has passed; propose another."))
    slot.status = SlotStatus.CONFIRMED
    slot.save(update_fields=["status"])
    request.slots.filter(status=SlotStatus.PROPOSED).update(status=SlotStatus.DECLINED)
    Event.objects.create(
        request=request,
        kind=Event.Kind.APPOINTMENT,
        actor=actor,
        public=True,
        text=_("Confirmed: %(time)s") % {"time": describe(slot)},
    )
    if by_staff:
        _tell_customer(request, "servicedesk/email/appointment", slots=[], confirmed=slot)
    else:
        _tell_desk(request, "servicedesk/email/desk_appointment", slots=[], confirmed=slot)
    return slot


@transaction.atomic
def cancel_appointment(request: Request, *, actor) -> AppointmentSlot:
    """Staff call off the confirmed appointment, so that a new time can be agreed."""
    request = locked(request)
    slot = request.slots.filter(status=SlotStatus.CONFIRMED).first()
    if slot is None:
        raise ValidationError(_("No appointment is confirmed for this request."))
    slot.status = SlotStatus.DECLINED
    slot.save(update_fields=["status"])
    Event.objects.create(
        request=request,
        kind=Event.Kind.APPOINTMENT,
        actor=actor,
        public=True,
        text=_("Cancelled: %(time)s") % {"time": describe(slot)},
    )
    _tell_customer(request, "servicedesk/email/appointment", slots=[], cancelled=slot)
    return slot


def _check_can_agree(request: Request) -> None:
    if not takes_appointments(request):
        raise ValidationError(_("Appointments are not made for this type of request."))
    if not request.is_open:
        raise ValidationError(_("The request is closed; no appointment can be made on it."))


class SlotsForm(forms.Form):
    """One to three times: each a date, a start and a length; the first is required."""

    def __init__(self, *args, calendar, **kwargs):
        super().__init__(*args, **kwargs)
        self.calendar = calendar
        today = timezone.localdate()
        bounds = {
            "min": today.isoformat(),
            "max": (today + timedelta(days=BOOKING_HORIZON_DAYS)).isoformat(),
        }
        for number in range(1, MAX_SLOTS + 1):
            required = number == 1
            self.fields[f"date_{number}"] = forms.DateField(
                label=gettext_lazy("Date"),
                required=required,
                widget=forms.DateInput(attrs={"type": "date", **bounds}, format="%Y-%m-%d"),
            )
            self.fields[f"start_{number}"] = forms.TimeField(
                label=gettext_lazy("Start"),
                required=required,
                widget=forms.TimeInput(attrs={"type": "time", "step": 900}, format="%H:%M"),
            )
            self.fields[f"hours_{number}"] = forms.TypedChoiceField(
                label=gettext_lazy("Duration"),
                choices=[(hours, f"{hours} h") for hours in DURATIONS],
                coerce=int,
                initial=DURATIONS[0],
                required=required,
            )

    def groups(self) -> list[tuple[int, list]]:
        """(number, its bound fields), for the template to set each time in a fieldset."""
        return [
            (number, [self[f"{name}_{number}"] for name in ("date", "start", "hours")])
            for number in range(1, MAX_SLOTS + 1)
        ]

    def choices(self) -> list[SlotChoice]:
        """The times given; an option with neither date nor start is left out."""
        data = self.cleaned_data
        return [
            SlotChoice(
                data.get(f"date_{number}"), data.get(f"start_{number}"), data.get(f"hours_{number}")
            )
            for number in range(1, MAX_SLOTS + 1)
            if data.get(f"date_{number}") or data.get(f"start_{number}")
        ]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        for field, message in slot_errors(self.calendar, self.choices()).items():
            self.add_error(field, message)
        return cleaned

    def add_service_errors(self, error: ValidationError) -> None:
        """Errors the service found (e.g. a time that passed meanwhile) on their fields."""
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
        else:
            for message in error.messages:
                self.add_error(None, message)


# iCalendar (RFC 5545), written by hand: one event, CRLF line ends, lines folded at
# 75 octets, TEXT values escaped.

ICS_LINE_OCTETS = 75


def ics_text(value: str) -> str:
    """A TEXT value: backslash, semicolon, comma and line breaks escaped (RFC 5545 3.3.11)."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def ics_fold(line: str) -> str:
    """Split a content line into lines of at most 75 octets, never inside a UTF-8 character.

    Continuation lines start with a space, which counts towards their 75 octets.
    """
    parts: list[str] = []
    current, size, limit = [], 0, ICS_LINE_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, ICS_LINE_OCTETS - 1
        current.append(char)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts)


def _ics_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def appointment_location(slot: AppointmentSlot) -> str:
    """Where the visit is: the slot's place, else the service point's address."""
    request = slot.request
    if slot.location:
        return slot.location
    return request.service_point.address if request.service_point_id else ""


def appointment_ics(slot: AppointmentSlot, *, now: datetime | None = None) -> bytes:
    """The confirmed appointment as an iCalendar file, in the active language."""
    request = slot.request
    domain = urlsplit(settings.WAGTAILADMIN_BASE_URL).hostname or "okienko"
    summary = _("Appointment %(reference)s: %(subject)s") % {
        "reference": request.reference,
        "subject": request.subject,
    }
    description = _("Request %(reference)s: %(type)s\n%(url)s") % {
        "reference": request.reference,
        "type": request.request_type.display_name,
        "url": portal_url(request),
    }
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Okienko//Service desk//PL",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:appointment-{slot.public_id}@{domain}",
        f"DTSTAMP:{_ics_time(now or timezone.now())}",
        f"DTSTART:{_ics_time(slot.starts_at)}",
        f"DTEND:{_ics_time(slot.ends_at)}",
        f"SUMMARY:{ics_text(summary)}",
        f"DESCRIPTION:{ics_text(description)}",
        f"URL:{portal_url(request)}",
        "STATUS:CONFIRMED",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    location = appointment_location(slot)
    if location:
        lines.insert(-2, f"LOCATION:{ics_text(location)}")
    return "".join(ics_fold(line) + "\r\n" for line in lines).encode("utf-8")
