"""A period picked by a customer (statement, consumption export): two ISO dates in the query."""

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def a_year_before(day: date) -> date:
    """The same day a year earlier (28 February for a 29th)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        if day.year <= date.min.year:
            return date.min
        return day.replace(year=day.year - 1, day=28)


class PeriodForm(forms.Form):
    """The period as the GET parameters `from` and `to` (ISO dates); the last 12 months
    when they are left out."""

    def __init__(self, data, *, today: date):
        data = data.copy()
        if not data.get("to"):
            data["to"] = today.isoformat()
        if not data.get("from"):
            try:
                data["from"] = a_year_before(date.fromisoformat(data["to"])).isoformat()
            except ValueError:
                data["from"] = a_year_before(today).isoformat()
        super().__init__(data)
        for name, label in (
            ("from", pgettext_lazy("start of a period", "From")),
            ("to", pgettext_lazy("end of a period", "To")),
        ):
            self.fields[name] = forms.DateField(
                label=label,
                required=False,  # an empty date takes its default above
                input_formats=["%Y-%m-%d"],
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                error_messages={"invalid": _("Enter a date as YYYY-MM-DD, e.g. 2026-01-31.")},
            )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end and start > end:
            self.add_error("from", _("The start of the period is later than its end."))
        return cleaned

    def error_lines(self) -> list[str]:
        """Every error with the label of its field, for a file request that cannot show a form."""
        return [
            f"{self.fields[name].label}: {message}" if name in self.fields else str(message)
            for name, messages in self.errors.items()
            for message in messages
        ]
