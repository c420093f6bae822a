"""The customer's appointments, cost report PDF and orders.

Every request is fetched through DeskMixin, so another customer's request, slot or
report is simply not found.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, DecimalField, F, Sum
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from customers import audit
from customers.models import AuditEvent

from . import appointments, costs
from .models import AppointmentSlot, RequestType
from .views import DeskMixin

ORDER_CATEGORIES = (RequestType.Category.ORDER, RequestType.Category.QUOTE)


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class ProposeSlotsView(DeskMixin, FormView):
    """The customer offers one to three times for the visit."""

    template_name = "servicedesk/appointments/propose.html"

    def get_req(self):
        if not hasattr(self, "req"):
            self.req = self.get_request(self.kwargs["request_id"])
        return self.req

    def get(self, http_request, *args, **kwargs):
        if not appointments.appointments_of(self.get_req()).can_propose:
            messages.error(http_request, _("No appointment can be proposed on this request now."))
            return redirect("servicedesk:request", request_id=self.get_req().public_id)
        return super().get(http_request, *args, **kwargs)

    def get_form(self, form_class=None):
        return appointments.SlotsForm(
            **self.get_form_kwargs(), calendar=self.get_req().request_type.calendar
        )

    def form_valid(self, form):
        try:
            appointments.propose_slots(
                self.get_req(),
                actor=self.request.user,
                by_staff=False,
                choices=form.choices(),
            )
        except ValidationError as error:
            form.add_service_errors(error)
            return self.form_invalid(form)
        messages.success(
            self.request, _("Thank you. We will confirm one of the times or propose others.")
        )
        return redirect("servicedesk:request", request_id=self.get_req().public_id)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_context_data(self, **kwargs):
        calendar = self.get_req().request_type.calendar
        return {
            **super().get_context_data(**kwargs),
            "req": self.get_req(),
            "calendar": calendar,
            "horizon": appointments.BOOKING_HORIZON_DAYS,
        }


class ConfirmSlotView(DeskMixin, View):
    """The customer agrees to one of the times the desk proposed."""

    def post(self, http_request, request_id, slot_id):
        request = self.get_request(request_id)
        slot = get_object_or_404(request.slots.all(), public_id=slot_id)
        try:
            appointments.confirm_slot(slot, actor=http_request.user, by_staff=False)
        except ValidationError as error:
            messages.error(http_request, " ".join(error.messages))
        else:
            messages.success(
                http_request,
                _("The appointment is confirmed: %(time)s.")
                % {"time": appointments.describe(slot)},
            )
        return redirect("servicedesk:request", request_id=request.public_id)


class AppointmentListView(DeskMixin, TemplateView):
    """Confirmed appointments of the member's requests: the coming ones, then the past."""

    template_name = "servicedesk/appointments/list.html"

    def get_context_data(self, **kwargs):
        slots = list(appointments.confirmed_appointments(self.requests()))
        now = timezone.now()
        return {
            **super().get_context_data(**kwargs),
            "upcoming": [slot for slot in slots if slot.ends_at >= now],
            "past": [slot for slot in reversed(slots) if slot.ends_at < now],
        }


class AppointmentCalendarView(DeskMixin, View):
    """A confirmed appointment as an .ics file for the customer's calendar."""

    def get(self, http_request, slot_id):
        slot = get_object_or_404(
            AppointmentSlot.objects.filter(
                request__in=self.requests(), status=AppointmentSlot.Status.CONFIRMED
            ).select_related("request__request_type", "request__service_point"),
            public_id=slot_id,
        )
        name = slugify(pgettext("file name", "appointment")) or "appointment"
        return _download(
            appointments.appointment_ics(slot),
            "text/calendar; charset=utf-8",
            f"{name}-{slot.request.reference}.ics",
        )


class CostReportPdfView(DeskMixin, View):
    """The request's cost report as a Polish PDF; every download is audited."""

    def get(self, http_request, request_id):
        from documents.pdf import issuing_company

        request = self.get_request(request_id)
        if not request.cost_items.exists():
            raise Http404
        content = costs.render_cost_report_pdf(request, issuing_company())
        audit.record(
            AuditEvent.Action.DOWNLOAD,
            http_request,
            customer=self.customer,
            obj=request,
            file="cost_report",
        )
        name = slugify(pgettext("file name", "cost report")) or "cost-report"
        return _download(content, "application/pdf", f"{name}-{request.reference}.pdf")


class OrderListView(DeskMixin, ListView):
    """The member's orders and quote requests with their lines counted and priced."""

    template_name = "servicedesk/orders/list.html"
    context_object_name = "orders"
    paginate_by = 20

    def get_queryset(self):
        line_net = F("order_lines__quantity") * F("order_lines__unit_price")
        return (
            self.requests()
            .filter(request_type__category__in=ORDER_CATEGORIES)
            .select_related("request_type")
            .annotate(
                line_count=Count("order_lines"),
                lines_net=Coalesce(
                    Sum(line_net, output_field=DecimalField(max_digits=24, decimal_places=4)),
                    Decimal("0"),
                    output_field=DecimalField(max_digits=24, decimal_places=4),
                ),
            )
            .order_by("-created_at")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for order in context["orders"]:
            order.net_total = Decimal(order.lines_net).quantize(costs.GROSZ, rounding=ROUND_HALF_UP)
        context["can_order"] = (
            RequestType.objects.for_membership(self.membership)
            .filter(category__in=ORDER_CATEGORIES)
            .exists()
        )
        return context
