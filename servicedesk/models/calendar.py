"""Business hours: when the SLA clock runs."""

from datetime import date, time

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


def easter_sunday(year: int) -> date:
    """Easter Sunday of the Gregorian calendar (the anonymous algorithm of 1876)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday_shift = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday_shift) // 451
    month, day = divmod(h + weekday_shift - 7 * m + 114, 31)
    return date(year, month, day + 1)


def polish_public_holidays(year: int) -> dict[date, str]:
    """Days off by law in Poland (ustawa o dniach wolnych od pracy), 24 December from 2025."""
    from datetime import timedelta

    easter = easter_sunday(year)
    days = {
        date(year, 1, 1): "Nowy Rok",
        date(year, 1, 6): "Trzech Króli",
        easter: "Wielkanoc",
        easter + timedelta(days=1): "Poniedziałek Wielkanocny",
        date(year, 5, 1): "Święto Pracy",
        date(year, 5, 3): "Święto Konstytucji 3 Maja",
        easter + timedelta(days=49): "Zielone Świątki",
        easter + timedelta(days=60): "Boże Ciało",
        date(year, 8, 15): "Wniebowzięcie NMP",
        date(year, 11, 1): "Wszystkich Świętych",
        date(year, 11, 11): "Święto Niepodległości",
        date(year, 12, 25): "Boże Narodzenie",
        date(year, 12, 26): "Drugi dzień Bożego Narodzenia",
    }
    if year >= 2025:
        days[date(year, 12, 24)] = "Wigilia"
    return days


class WorkingCalendar(ClusterableModel):
    """The hours the service desk works; SLA hours are counted only inside them."""

    name = models.CharField(_("name"), max_length=100)
    opens_at = models.TimeField(_("opens at"), default=time(8, 0))
    closes_at = models.TimeField(_("closes at"), default=time(16, 0))
    working_days = models.CharField(
        _("working days"),
        max_length=13,
        default="0,1,2,3,4",
        help_text=_("Days of the week, 0 = Monday … 6 = Sunday, separated by commas."),
    )
    polish_holidays = models.BooleanField(_("Polish public holidays are days off"), default=True)

    class Meta:
        verbose_name = _("working calendar")
        verbose_name_plural = _("working calendars")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.opens_at and self.closes_at and self.opens_at >= self.closes_at:
            raise ValidationError({"closes_at": _("The desk must close after it opens.")})
        try:
            days = self.weekdays
        except ValueError:
            days = None
        if not days or not days <= set(range(7)):
            raise ValidationError(
                {"working_days": _("Give the days as numbers from 0 to 6, e.g. 0,1,2,3,4.")}
            )

    @property
    def hours_per_day(self) -> float:
        opens = self.opens_at.hour * 60 + self.opens_at.minute
        closes = self.closes_at.hour * 60 + self.closes_at.minute
        return (closes - opens) / 60

    @property
    def weekdays(self) -> set[int]:
        return {int(part) for part in self.working_days.split(",") if part.strip()}


class Holiday(Orderable):
    """A day off besides the weekly ones (a company holiday, a bridge day)."""

    calendar = ParentalKey(WorkingCalendar, on_delete=models.CASCADE, related_name="holidays")
    day = models.DateField(_("day"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta(Orderable.Meta):
        verbose_name = _("day off")
        verbose_name_plural = _("days off")
