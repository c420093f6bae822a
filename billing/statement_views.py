"""The statement of account in the customer area: the page and its PDF and CSV."""

from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import slugify
from django.utils.translation import pgettext
from django.views import View
from django.views.generic import TemplateView

from customers import audit
from customers.models import Ability, AuditEvent
from customers.periods import PeriodForm
from customers.views import AreaFrameMixin

from .statement import Statement, statement_for

CONTENT_TYPES = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}


class StatementMixin(AreaFrameMixin):
    required_ability = Ability.VIEW_BILLING

    def period_form(self) -> PeriodForm:
        return PeriodForm(self.request.GET, today=timezone.localdate())

    def statement(self, form: PeriodForm) -> Statement:
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
