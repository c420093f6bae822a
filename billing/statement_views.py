"""The statement of account in the customer area: the page and its PDF and CSV."""

from datetime import date

from django import forms
from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy
from django.views import View
from django.views.generic import TemplateView

from customers import audit
from customers.models import Ability, AuditEvent
from customers.views import AreaFrameMixin

from .statement import Statement, statement_for

CONTENT_TYPES = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}


def a_year_before(day: date) -> date:
    """The same day a year earlier (28 February for a 29th)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        if day.year <= date.min.year:
            return date.min
        return day.replace(year=day.year - 1, day=28)


class StatementPeriodForm(forms.Form):
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


class StatementMixin(AreaFrameMixin):
    required_ability = Ability.VIEW_BILLING

    def period_form(self) -> StatementPeriodForm:
        return StatementPeriodForm(self.request.GET, today=timezone.localdate())

    def statement(self, form: StatementPeriodForm) -> Statement:
        return statement_for(self.membership, form.cleaned_data["from"], form.cleaned_data["to"])


class StatementView(StatementMixin, TemplateView):
    template_name = "billing/statement.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = self.period_form()
        context["form"] = form
        if form.is_valid():
            context["statement"] = self.statement(form)
            context["period_query"] = urlencode(
                {name: form.cleaned_data[name].isoformat() for name in ("from", "to")}
            )
        return context


class StatementFileView(StatementMixin, View):
    """The statement as a PDF or a CSV attachment; every download is audited."""

    file_format = "pdf"  # or "csv"

    def get(self, request):
        form = self.period_form()
        if not form.is_valid():
            return HttpResponse(
                "\n".join(form.error_lines()) + "\n",
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        from documents.pdf import issuing_company

        from .statement_export import render_statement_pdf, statement_csv

        statement = self.statement(form)
        if self.file_format == "pdf":
            content = render_statement_pdf(statement, self.customer, issuing_company())
        else:
            content = statement_csv(statement)
        filename = "{name}-{number}-{start:%Y-%m-%d}-{end:%Y-%m-%d}.{ext}".format(
            name=slugify(pgettext("file name", "statement")) or "statement",
            number=slugify(self.customer.number),
            start=statement.start,
            end=statement.end,
            ext=self.file_format,
        )
        audit.record(
            AuditEvent.Action.DOWNLOAD,
            request,
            customer=self.customer,
            file="statement",
            format=self.file_format,
            start=statement.start.isoformat(),
            end=statement.end.isoformat(),
        )
        response = HttpResponse(content, content_type=CONTENT_TYPES[self.file_format])
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response
