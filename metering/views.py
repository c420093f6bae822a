"""The customer's meters: list, history, submitting a reading, consumption and its export."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views import View
from django.views.generic import FormView, TemplateView

from customers import audit
from customers.models import Ability, AuditEvent, ServicePoint
from customers.periods import PeriodForm
from customers.views import AreaFrameMixin

from . import charts, export
from .forms import ReadingForm
from .models import Meter, Reading
from .reports import estimate, meters_with_registers, service_point_reports
from .services import submit_readings
from .windows import applicable_windows, segment_ids_of, self_reading_at

FILE_NAMES = {
    "readings": pgettext_lazy("file name", "readings"),
    "consumption": pgettext_lazy("file name", "consumption"),
}


def month_labels() -> list[str]:
    """Short month names in the active language, January first."""
    return [date_format(date(2000, month, 1), "M") for month in range(1, 13)]


def year_chart(report, year: int, chart_id: str):
    """This year's monthly bars against last year's, or None when nothing was read yet."""
    current, previous = report.year_against_year(year)
    if not any(v is not None for v in current + previous):
        return None
    return charts.bar_chart(
        chart_id=chart_id,
        title=_("Consumption per month at %(point)s, %(year)s against %(previous)s")
        % {
            "point": report.service_point.name or report.service_point.code,
            "year": year,
            "previous": year - 1,
        },
        description=_(
            "Bars per month: %(year)s and %(previous)s. The same figures are in the table below the chart."
        )
        % {"year": year, "previous": year - 1},
        unit=report.unit,
        categories=month_labels(),
        series=[
            charts.Series(str(year - 1), previous, "chart-bar--previous"),
            charts.Series(str(year), current, "chart-bar--current"),
        ],
        x_label=_("Month"),
        width=480,  # narrow enough that labels stay legible when a phone scales it down
        height=300,
    )


def year_rows(report, year: int) -> list[tuple[str, object, object]]:
    current, previous = report.year_against_year(year)
    return list(zip(month_labels(), previous, current, strict=True))


class MeteringMixin(AreaFrameMixin):
    required_ability = Ability.VIEW_TECHNICAL

    def service_points(self):
        return ServicePoint.objects.for_membership(self.membership)

    def self_reading(self, service_point, today):
        return self_reading_at(service_point, today)

    def get_meter(self, meter_id) -> Meter:
        return get_object_or_404(
            Meter.objects.for_membership(self.membership).select_related("service_point__customer"),
            public_id=meter_id,
        )


class MeterListView(MeteringMixin, TemplateView):
    """Every service point with its meters, the last readings and whether a reading is due."""

    template_name = "metering/meter_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        points = list(
            self.service_points().filter(meters__isnull=False).distinct().order_by("code")
        )
        reports = service_point_reports(points)
        windows = applicable_windows(points)
        segment_ids = segment_ids_of(self.customer)
        context["rows"] = [
            {
                "point": point,
                "report": reports[point.pk],
                "self_reading": self_reading_at(point, today, windows, segment_ids),
                "current": [m for m in reports[point.pk].meters if m.meter.is_installed(today)],
                "removed": [m for m in reports[point.pk].meters if not m.meter.is_installed(today)],
            }
            for point in points
        ]
        context["can_submit"] = self.membership.can(Ability.SUBMIT_READINGS)
        context["today"] = today
        return context


class CountedPaginator(Paginator):
    """A paginator given the number of objects, so that it need not count them."""

    def __init__(self, object_list, per_page, count: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.known_count = count

    @cached_property
    def count(self) -> int:
        return self.known_count


class MeterDetailView(MeteringMixin, TemplateView):
    """A meter's reading history, every status shown, and the service point's chart."""

    template_name = "metering/meter_detail.html"
    paginate_by = 20

    def meters_at_its_point(self, meter_id) -> tuple[Meter, list]:
        """The meter and every meter of its service point (the chart is the point's), with
        their registers, in one query; the meter also knows how many readings it has."""
        meters = meters_with_registers(
            Meter.objects.for_membership(self.membership)
            .filter(service_point__meters__public_id=meter_id)
            .select_related("service_point__customer")
            .with_reading_count()
        )
        meter = next((meter for meter, _registers in meters if meter.public_id == meter_id), None)
        if meter is None:
            raise Http404
        return meter, meters

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        meter, meters = self.meters_at_its_point(self.kwargs["meter_id"])
        readings = (
            Reading.objects.filter(register__meter=meter)
            .select_related("register")
            .order_by("-read_on", "-created_at", "-pk")
        )
        page = CountedPaginator(readings, self.paginate_by, meter.reading_count).get_page(
            self.request.GET.get("page")
        )
        point = meter.service_point
        report = service_point_reports([point], meters)[point.pk]
        registers = next(registers for each, registers in meters if each.pk == meter.pk)
        context.update(
            meter=meter,
            registers=registers,
            page_obj=page,
            readings=page.object_list,
            is_paginated=page.has_other_pages(),
            chart=year_chart(report, today.year, "chart-meter"),
            chart_rows=year_rows(report, today.year),
            year=today.year,
            unit=report.unit,
            self_reading=self.self_reading(meter.service_point, today),
            installed=meter.is_installed(today),
            can_submit=self.membership.can(Ability.SUBMIT_READINGS),
        )
        return context


class SubmitReadingView(MeteringMixin, FormView):
    """The customer's own reading, accepted at once or sent to staff when it looks unusual."""

    required_ability = Ability.SUBMIT_READINGS
    template_name = "metering/submit_reading.html"
    form_class = ReadingForm

    def dispatch(self, request, *args, **kwargs):
        self.today = timezone.localdate()
        return super().dispatch(request, *args, **kwargs)

    def setup_meter(self):
        if not hasattr(self, "meter"):
            self.meter = self.get_meter(self.kwargs["meter_id"])
            self.state = self.self_reading(self.meter.service_point, self.today)
        return self.meter

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "meter": self.setup_meter()}

    def get_initial(self):
        return {"read_on": self.today}

    def can_read_now(self) -> bool:
        return self.meter.is_installed(self.today) and self.state.is_open

    def post(self, request, *args, **kwargs):
        self.setup_meter()
        if not self.can_read_now():
            return self.get(request, *args, **kwargs)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            readings = submit_readings(
                self.meter,
                form.values(),
                form.cleaned_data["read_on"],
                user=self.request.user,
                window=self.state.state,
                customer=self.customer,
                request=self.request,
                photo=form.cleaned_data.get("photo"),
                today=self.today,
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
            return self.form_invalid(form)
        to_review = [r for r in readings if r.status == Reading.Status.REVIEW]
        if to_review:
            messages.warning(
                self.request,
                _(
                    "Thank you. Your reading is saved, but it differs a lot from your usual "
                    "consumption at this time of year, so our staff will check it. We will "
                    "write to you when they have."
                ),
            )
        else:
            messages.success(self.request, _("Thank you. Your reading is saved and accepted."))
        return redirect("metering:meter", meter_id=self.meter.public_id)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        meter = self.setup_meter()
        last = {}
        for reading in (
            Reading.objects.accepted()
            .filter(register__meter=meter)
            .select_related("register")
            .order_by("register_id", "-read_on", "-created_at")
        ):
            last.setdefault(reading.register_id, reading)
        context.update(
            meter=meter,
            self_reading=self.state,
            can_read_now=self.can_read_now(),
            installed=meter.is_installed(self.today),
            last_readings=[last.get(register.pk) for register in meter.registers.all()],
        )
        return context


class ConsumptionView(MeteringMixin, TemplateView):
    """Consumption of a service point: the year chart, months, periods, cost estimate, export."""

    template_name = "metering/consumption.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        point = get_object_or_404(self.service_points(), public_id=self.kwargs["service_point_id"])
        report = service_point_reports([point])[point.pk]
        if not report.meters:
            raise Http404
        years = sorted({year for year, _month in report.monthly()} | {today.year}, reverse=True)
        try:
            year = int(self.request.GET.get("year", today.year))
        except ValueError:
            year = today.year
        if year not in years:
            year = today.year
        context.update(
            point=point,
            report=report,
            year=year,
            years=years,
            chart=year_chart(report, year, "chart-consumption"),
            chart_rows=year_rows(report, year),
            estimate=estimate(report, today),
            export_form=PeriodForm({}, today=today),
        )
        return context


class ConsumptionExportView(MeteringMixin, View):
    """Readings or consumption of a service point over a period, as CSV; audited."""

    def get(self, request, service_point_id):
        point = get_object_or_404(self.service_points(), public_id=service_point_id)
        form = PeriodForm(request.GET, today=timezone.localdate())
        kind = request.GET.get("kind", "consumption")
        if kind not in export.KINDS:
            form.add_error(None, _("Choose readings or consumption."))
        if not form.is_valid():
            return HttpResponse(
                "\n".join(form.error_lines()) + "\n",
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        start, end = form.cleaned_data["from"], form.cleaned_data["to"]
        content = export.KINDS[kind](point, start, end)
        audit.record(
            AuditEvent.Action.DOWNLOAD,
            request,
            customer=self.customer,
            obj=point,
            file=kind,
            format="csv",
            start=start.isoformat(),
            end=end.isoformat(),
        )
        name = slugify(FILE_NAMES[kind]) or kind
        filename = f"{name}-{slugify(point.code)}-{start:%Y-%m-%d}-{end:%Y-%m-%d}.csv"
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class ReadingPhotoView(MeteringMixin, View):
    """A reading's photo, only to those who see the meter, always as an attachment."""

    def get(self, request, reading_id):
        reading = get_object_or_404(
            Reading.objects.for_membership(self.membership).exclude(photo=""), public_id=reading_id
        )
        response = FileResponse(
            reading.photo.open("rb"),
            as_attachment=True,
            filename=f"reading-{reading.read_on:%Y-%m-%d}{_suffix(reading.photo.name)}",
        )
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


def _suffix(name: str) -> str:
    return "." + name.rsplit(".", 1)[-1] if "." in name else ""


def export_query(kind: str, start: date, end: date) -> str:
    return urlencode({"kind": kind, "from": start.isoformat(), "to": end.isoformat()})
