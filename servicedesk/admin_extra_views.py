"""Staff actions on a request's appointment and cost report, from its admin detail page.

The forms sit on the staff detail page (templates servicedesk/admin/_appointments.html
and _costs.html); a form with errors is shown again on a page of its own.
"""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import appointments, costs
from .models import AppointmentSlot, CostItem, Request

CHANGE_PERMISSION = "servicedesk.change_request"


def _request(pk: int) -> Request:
    return get_object_or_404(
        Request.objects.select_related("request_type__calendar", "customer", "service_point"),
        pk=pk,
    )


def _back(request: Request):
    return redirect(reverse("servicedesk_request", args=[request.pk]))


def _show_errors(http_request, error: ValidationError) -> None:
    messages.error(http_request, " ".join(error.messages))


@permission_required(CHANGE_PERMISSION, raise_exception=True)
@require_POST
def confirm_slot(http_request, pk):
    """Confirm a time the customer proposed; their other times are declined."""
    slot = get_object_or_404(AppointmentSlot.objects.select_related("request"), pk=pk)
    try:
        appointments.confirm_slot(slot, actor=http_request.user, by_staff=True)
    except ValidationError as error:
        _show_errors(http_request, error)
    else:
        messages.success(
            http_request,
            _("Appointment confirmed: %(time)s. The customer has been told.")
            % {"time": appointments.describe(slot)},
        )
    return _back(slot.request)


@permission_required(CHANGE_PERMISSION, raise_exception=True)
@require_POST
def cancel_appointment(http_request, pk):
    request = _request(pk)
    try:
        appointments.cancel_appointment(request, actor=http_request.user)
    except ValidationError as error:
        _show_errors(http_request, error)
    else:
        messages.success(http_request, _("Appointment cancelled. The customer has been told."))
    return _back(request)


@permission_required(CHANGE_PERMISSION, raise_exception=True)
def propose_slots(http_request, pk):
    """Offer the customer one to three other times."""
    request = _request(pk)
    form = appointments.SlotsForm(http_request.POST or None, calendar=request.request_type.calendar)
    if http_request.method == "POST" and form.is_valid():
        try:
            appointments.propose_slots(
                request, actor=http_request.user, by_staff=True, choices=form.choices()
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(http_request, _("Times proposed. The customer has been told."))
            return _back(request)
    return TemplateResponse(
        http_request,
        "servicedesk/admin/extra/propose_slots.html",
        {"req": request, "form": form, "calendar": request.request_type.calendar},
        status=400 if form.is_bound else 200,
    )


@permission_required(CHANGE_PERMISSION, raise_exception=True)
def add_cost(http_request, pk):
    """A new line of the cost report."""
    request = _request(pk)
    form = costs.CostItemForm(http_request.POST or None)
    if http_request.method == "POST" and form.is_valid():
        try:
            costs.add_cost_item(request, actor=http_request.user, **form.cleaned_data)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.message_dict.items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                form.add_error(None, error)
        else:
            messages.success(http_request, _("Cost item added."))
            return _back(request)
    return TemplateResponse(
        http_request,
        "servicedesk/admin/extra/cost_form.html",
        {"req": request, "form": form},
        status=400 if form.is_bound else 200,
    )


@permission_required(CHANGE_PERMISSION, raise_exception=True)
@require_POST
def delete_cost(http_request, pk):
    item = get_object_or_404(CostItem.objects.select_related("request"), pk=pk)
    try:
        costs.remove_cost_item(item, actor=http_request.user)
    except ValidationError as error:
        _show_errors(http_request, error)
    else:
        messages.success(http_request, _("Cost item removed."))
    return _back(item.request)
