"""A customer sends a meter reading: a mistyped one is refused, a normal one is accepted and
shows in the history and the chart, an unusual one waits for staff; the chart fits a phone.

Metering strings may not be translated yet, so the journey finds links and buttons by their
addresses and classes, and checks numbers rather than wording.
"""

import re
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from tests.e2e.conftest import ARTIFACTS
from tests.factories import (
    PASSWORD,
    MembershipFactory,
    MeterFactory,
    ReadingFactory,
    ReadingWindowFactory,
    ServicePointFactory,
    UserFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FIRST_VALUE = Decimal(10000)
MONTHLY = Decimal(150)  # every 30 days, so 5 kWh a day all year round
MONTHS = 24
LAST_VALUE = FIRST_VALUE + MONTHS * MONTHLY  # 13 600, read 30 days ago
PHONE = {"width": 360, "height": 740}


def digits(text: str) -> str:
    """A number as shown, without its grouping spaces (plain or non-breaking)."""
    return re.sub(r"\s", "", text)


def shown_number(text: str) -> Decimal:
    """The first number in a text formatted for Polish: spaces group, a comma separates."""
    return Decimal(digits(re.search(r"\d[\d\s]*(,\d+)?", text).group()).replace(",", "."))


def customer_with_a_meter(email: str) -> SimpleNamespace:
    """An owner, one electricity meter with two years of monthly readings from the company,
    the last 30 days ago, and a reading window open every day."""
    owner = MembershipFactory(role="owner", user=UserFactory(email=email))
    point = ServicePointFactory(customer=owner.customer, name="Dom")
    meter = MeterFactory(service_point=point, serial_number="SN-E2E-0001")
    register = meter.registers.get()
    today = timezone.localdate()
    for months_ago in range(MONTHS, -1, -1):
        ReadingFactory(
            register=register,
            read_on=today - timedelta(days=30 * (months_ago + 1)),
            value=LAST_VALUE - months_ago * MONTHLY,
            source="erp",
            status="accepted",
        )
    ReadingWindowFactory()
    return SimpleNamespace(user=owner.user, meter=meter, register=register, today=today)


def sign_in_and_open_the_form(page, base_url: str, world: SimpleNamespace) -> None:
    """From the login page through the menu and the meter list to the reading form."""
    page.goto(base_url + "/account/login/")
    page.fill("input[name=auth-username]", world.user.email)
    page.fill("input[name=auth-password]", PASSWORD)
    page.get_by_role("button", name="Dalej").click()
    page.wait_for_url(base_url + "/account/")
    page.locator(".account-nav a[href='/account/meters/']").click()
    page.wait_for_url(base_url + "/account/meters/")
    assert page.locator(".account-nav a[aria-current=page]").get_attribute("href") == (
        "/account/meters/"
    )
    submit_url = f"/account/meters/{world.meter.public_id}/reading/"
    page.locator(f"a.button[href='{submit_url}']").click()
    page.wait_for_url(base_url + submit_url)


def send_reading(page, world: SimpleNamespace, value: str) -> None:
    page.fill(f"#id_register_{world.register.pk}", value)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_load_state()


def customer_readings(world: SimpleNamespace):
    from metering.models import Reading

    return Reading.objects.filter(register=world.register, source=Reading.Source.CUSTOMER)


def test_a_lower_reading_is_refused_and_a_normal_one_accepted_and_charted(
    live_server, home_page, page, screenshot
):
    world = customer_with_a_meter("jan@example.pl")
    sign_in_and_open_the_form(page, live_server.url, world)
    last_shown = page.locator("table caption + tbody td.numeric").first.inner_text()
    assert digits(last_shown).startswith(str(LAST_VALUE))
    assert page.locator("input[type=date][name=read_on]").input_value() == world.today.isoformat()
    screenshot(page, "metering-1-form")

    # A value lower than the last accepted one: refused under its field, nothing stored.
    send_reading(page, world, "13000")
    field = page.locator(".field--error", has=page.locator(f"#id_register_{world.register.pk}"))
    error = field.locator(".field__error")
    assert error.count() == 1
    assert str(LAST_VALUE) in digits(error.inner_text())
    assert "13000" in digits(error.inner_text())
    assert page.url == f"{live_server.url}/account/meters/{world.meter.public_id}/reading/"
    assert not customer_readings(world).exists()
    screenshot(page, "metering-2-lower-refused")

    # About a month's consumption more: accepted, back on the meter's page.
    new_value = LAST_VALUE + MONTHLY
    send_reading(page, world, str(new_value))
    page.wait_for_url(f"{live_server.url}/account/meters/{world.meter.public_id}/")
    assert page.locator(".alert--success").count() == 1
    reading = customer_readings(world).get()
    assert (reading.value, reading.status, reading.read_on) == (
        new_value,
        "accepted",
        world.today,
    )
    newest = page.locator("h2#history + .table-wrap tbody tr").first
    assert digits(newest.locator("td.numeric").inner_text()) == str(new_value)
    assert newest.locator(".status--accepted").count() == 1

    # The chart names itself, and this month has a bar: 5 kWh a day since the 1st.
    chart = page.locator("svg.chart")
    assert chart.count() == 1
    assert chart.locator("title").first.text_content().strip()
    assert chart.locator("rect.chart-bar--current").count() > 0
    assert chart.locator("rect.chart-bar--previous").count() > 0
    this_month = page.locator(".chart-table tbody tr").nth(world.today.month - 1)
    this_month_figure = this_month.locator("td.numeric").nth(1).text_content()
    assert digits(this_month_figure) == str(5 * world.today.day)
    month = this_month.locator("th").text_content().strip()
    bar = chart.locator("rect.chart-bar--current > title", has_text=f", {month}:")
    assert bar.count() == 1
    assert shown_number(bar.text_content().split(":")[-1]) == 5 * world.today.day
    screenshot(page, "metering-3-accepted")

    # On a phone the chart fits the screen and the page does not scroll sideways.
    page.set_viewport_size(PHONE)
    chart.scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, window.scrollY)")  # as a thumb would leave it
    page.screenshot(path=str(ARTIFACTS / "metering-chart-phone.png"))
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE["width"] + 1, f"the page scrolls sideways: {scroll_width} px"
    assert chart.bounding_box()["width"] <= PHONE["width"]
    assert page.console_errors == []


def test_an_unusual_reading_is_kept_but_waits_for_review(live_server, home_page, page, screenshot):
    world = customer_with_a_meter("ewa@example.pl")
    sign_in_and_open_the_form(page, live_server.url, world)

    unusual = LAST_VALUE + 10 * MONTHLY
    send_reading(page, world, str(unusual))
    page.wait_for_url(f"{live_server.url}/account/meters/{world.meter.public_id}/")
    assert page.locator(".alert--warning").count() == 1
    assert page.locator(".alert--success").count() == 0
    reading = customer_readings(world).get()
    assert (reading.value, reading.status) == (unusual, "review")
    assert reading.review_reason
    newest = page.locator("h2#history + .table-wrap tbody tr").first
    assert digits(newest.locator("td.numeric").inner_text()) == str(unusual)
    assert newest.locator(".status--review").count() == 1
    screenshot(page, "metering-4-review")
    assert page.console_errors == []
