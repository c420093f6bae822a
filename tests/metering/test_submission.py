"""Every check on a customer's reading, each with the message the customer reads."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from customers.models import AuditEvent
from metering.models import Reading
from metering.services import Decision, field_name, review, submit_readings
from metering.windows import state_on
from tests.factories import (
    MembershipFactory,
    MeterFactory,
    ReadingFactory,
    ReadingWindowFactory,
    monthly_readings,
)

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = date(2026, 11, 22)


def monthly_history(meter, **kwargs):
    kwargs.setdefault("last", date(2026, 10, 28))
    return monthly_readings(meter, **kwargs)


@pytest.fixture
def window():
    return state_on(ReadingWindowFactory(), TODAY)


@pytest.fixture
def owner():
    return MembershipFactory(role="owner")


def submit(meter, owner, window, values, read_on=TODAY, **kwargs):
    registers = list(meter.registers.all())
    return submit_readings(
        meter,
        {register: D(value) for register, value in zip(registers, values, strict=True)},
        read_on,
        user=owner.user,
        window=window,
        customer=owner.customer,
        today=TODAY,
        **kwargs,
    )


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


def test_a_plausible_reading_is_accepted_and_audited(owner, window):
    meter = MeterFactory()
    last = monthly_history(meter)
    (reading,) = submit(meter, owner, window, [last + 5 * 25])
    assert reading.status == Reading.Status.ACCEPTED
    assert reading.source == Reading.Source.CUSTOMER
    assert reading.window_opened_on == date(2026, 11, 1)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.READING_SUBMITTED).exists()


def test_too_many_digits_for_the_dial(owner, window):
    meter = MeterFactory(digits=5)
    with pytest.raises(ValidationError) as excinfo:
        submit(meter, owner, window, ["123456"])
    register = meter.registers.get()
    assert "5" in errors_of(excinfo)[field_name(register)][0]
    assert not Reading.objects.exists()


def test_decimals_on_a_meter_that_shows_whole_numbers(owner, window):
    meter = MeterFactory(decimals=0)
    with pytest.raises(ValidationError) as excinfo:
        submit(meter, owner, window, ["100.5"])
    assert errors_of(excinfo)[field_name(meter.registers.get())]


def test_decimals_up_to_the_meters_precision(owner, window):
    meter = MeterFactory(decimals=3, medium="cold_water", unit="m3")
    submit(meter, owner, window, ["12.345"])
    with pytest.raises(ValidationError):
        submit(meter, owner, window, ["12.3456"])


def test_a_negative_value(owner, window):
    meter = MeterFactory()
    with pytest.raises(ValidationError):
        submit(meter, owner, window, ["-1"])


def test_not_in_the_future(owner, window):
    meter = MeterFactory()
    with pytest.raises(ValidationError) as excinfo:
        submit(meter, owner, window, ["100"], read_on=TODAY + timedelta(days=1))
    assert "read_on" in errors_of(excinfo)


def test_not_before_the_window_opened(owner, window):
    meter = MeterFactory()
    with pytest.raises(ValidationError) as excinfo:
        submit(meter, owner, window, ["100"], read_on=date(2026, 10, 31))
    assert "read_on" in errors_of(excinfo)


def test_lower_than_the_last_accepted_reading_is_refused_and_stores_nothing(owner, window):
    meter = MeterFactory()
    last = monthly_history(meter)
    before = Reading.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        submit(meter, owner, window, [last - 10])
    message = errors_of(excinfo)[field_name(meter.registers.get())][0]
    assert f"{last:,}".replace(",", "\xa0") in message or str(last) in message
    assert Reading.objects.count() == before


def test_a_roll_over_past_the_last_digit_is_accepted(owner, window):
    meter = MeterFactory(digits=5)
    last = monthly_history(meter, start_value=D(96300))
    assert last % meter.capacity > 99000  # the counter is about to roll over
    new_value = (last + 5 * 25) % meter.capacity
    assert new_value < last % meter.capacity
    (reading,) = submit(meter, owner, window, [new_value])
    assert reading.status == Reading.Status.ACCEPTED


def test_a_much_lower_value_is_no_roll_over(owner, window):
    meter = MeterFactory(digits=5)
    monthly_history(meter, start_value=D(40000))
    with pytest.raises(ValidationError):
        submit(meter, owner, window, ["100"])


def test_a_replaced_meter_starts_again_from_its_own_first_reading(owner, window):
    old = MeterFactory(removed_on=date(2026, 6, 30))
    monthly_history(old, last=date(2026, 6, 28))
    new = MeterFactory(
        service_point=old.service_point, installed_on=date(2026, 6, 30), replaced_meter=old
    )
    ReadingFactory(register=new.registers.get(), value=D(0), read_on=date(2026, 6, 30))
    (reading,) = submit(new, owner, window, ["720"])
    assert reading.status == Reading.Status.ACCEPTED
    assert old.registers.get().readings.count() == 25  # the old meter keeps its history


def test_a_second_reading_in_the_window_replaces_the_first(owner, window):
    meter = MeterFactory()
    last = monthly_history(meter)
    (first,) = submit(meter, owner, window, [last + 130])
    # a typo corrected: lower than the first, still above the company's reading
    (second,) = submit(meter, owner, window, [last + 120])
    first.refresh_from_db()
    assert first.status == Reading.Status.REPLACED
    assert second.status == Reading.Status.ACCEPTED
    assert (
        meter.registers.get().readings.filter(source="customer").exclude(status="replaced").count()
        == 1
    )


def test_a_reading_of_the_next_window_does_not_replace_the_last_one(owner):
    meter = MeterFactory()
    last = monthly_history(meter)
    november = state_on(ReadingWindowFactory(start_day=20, end_day=25), TODAY)
    (first,) = submit(meter, owner, november, [last + 100])
    december = state_on(november.window, date(2026, 12, 22))
    submit_readings(
        meter,
        {meter.registers.get(): last + 250},
        date(2026, 12, 22),
        user=owner.user,
        window=december,
        customer=owner.customer,
        today=date(2026, 12, 22),
    )
    first.refresh_from_db()
    assert first.status == Reading.Status.ACCEPTED


def test_one_value_per_register_and_an_error_in_one_stores_none(owner, window):
    meter = MeterFactory(registers=[("1.8.1", "dzienna"), ("1.8.2", "nocna")])
    last = monthly_history(meter)
    with pytest.raises(ValidationError) as excinfo:
        submit(meter, owner, window, [last + 100, last - 50])
    day, night = meter.registers.all()
    assert set(errors_of(excinfo)) == {field_name(night)}
    assert not Reading.objects.filter(source="customer").exists()
    readings = submit(meter, owner, window, [last + 100, last + 60])
    assert {r.register for r in readings} == {day, night}


@pytest.mark.parametrize("per_day_now", [D(60), D("0.2")])
def test_implausible_consumption_is_kept_for_staff_review(owner, window, per_day_now):
    meter = MeterFactory()
    last = monthly_history(meter)
    (reading,) = submit(meter, owner, window, [last + per_day_now * 25])
    assert reading.status == Reading.Status.REVIEW
    assert reading.review_reason


def test_without_history_nothing_is_implausible(owner, window):
    meter = MeterFactory()
    ReadingFactory(register=meter.registers.get(), value=D(100), read_on=date(2026, 10, 28))
    (reading,) = submit(meter, owner, window, ["99999"])
    assert reading.status == Reading.Status.ACCEPTED


def test_the_plausibility_factor_is_configurable(owner, window):
    from metering.models import MeteringSettings

    meter = MeterFactory()
    last = monthly_history(meter)
    settings = MeteringSettings.load()
    settings.plausibility_factor = D("1.5")
    settings.save()
    (reading,) = submit(meter, owner, window, [last + 5 * 25 * 2])  # twice the usual
    assert reading.status == Reading.Status.REVIEW


@pytest.fixture
def waiting(owner, window):
    meter = MeterFactory()
    last = monthly_history(meter)
    (reading,) = submit(meter, owner, window, [last + 2000])
    assert reading.status == Reading.Status.REVIEW
    return reading


def test_staff_accept_a_reading_and_the_customer_is_told(
    waiting, mailoutbox, django_user_model, django_capture_on_commit_callbacks
):
    staff = django_user_model.objects.create_user(
        email="bok@example.pl", password="x", is_staff=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        review(waiting, staff=staff, decision=Decision.ACCEPT)
    waiting.refresh_from_db()
    assert waiting.status == Reading.Status.ACCEPTED and waiting.reviewed_by == staff
    assert [m.to for m in mailoutbox] == [[waiting.submitted_by.email]]


def test_staff_correct_a_reading_keeping_what_was_given(
    waiting, mailoutbox, django_user_model, django_capture_on_commit_callbacks
):
    staff = django_user_model.objects.create_user(
        email="bok@example.pl", password="x", is_staff=True
    )
    given = waiting.value
    with django_capture_on_commit_callbacks(execute=True):
        review(waiting, staff=staff, decision=Decision.CORRECT, value=given - 1800)
    waiting.refresh_from_db()
    assert (waiting.status, waiting.value, waiting.submitted_value) == (
        Reading.Status.ACCEPTED,
        given - 1800,
        given,
    )
    assert "13\xa0850" in mailoutbox[0].body


def test_staff_reject_with_a_reason_the_customer_reads(
    waiting, mailoutbox, django_user_model, django_capture_on_commit_callbacks
):
    staff = django_user_model.objects.create_user(
        email="bok@example.pl", password="x", is_staff=True
    )
    with pytest.raises(ValidationError):
        review(waiting, staff=staff, decision=Decision.REJECT, reason=" ")
    with django_capture_on_commit_callbacks(execute=True):
        review(waiting, staff=staff, decision=Decision.REJECT, reason="Na zdjęciu widać 12 345.")
    waiting.refresh_from_db()
    assert waiting.status == Reading.Status.REJECTED
    assert "Na zdjęciu widać 12 345." in mailoutbox[0].body
    with pytest.raises(ValidationError):
        review(waiting, staff=staff, decision=Decision.ACCEPT)
