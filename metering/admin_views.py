"""Staff review of readings the plausibility check held back: accept, correct or reject."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Reading
from .services import Decision, review

REVIEW_PERMISSION = "metering.change_reading"


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        widget=forms.RadioSelect,
        choices=[
            (Decision.ACCEPT, gettext_lazy("Accept the value as given")),
            (Decision.CORRECT, gettext_lazy("Correct the value and accept it")),
            (Decision.REJECT, gettext_lazy("Reject")),
        ],
    )
    value = forms.DecimalField(
        label=gettext_lazy("Corrected value"), required=False, min_value=0, localize=True
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason for rejection (the customer reads it)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
    )


def _queue():
    return Reading.objects.filter(status=Reading.Status.REVIEW).select_related(
        "register__meter__service_point__customer", "submitted_by"
    )


@permission_required(REVIEW_PERMISSION, raise_exception=True)
def review_queue(request):
    readings = _queue().order_by("created_at")[:200]
    return TemplateResponse(request, "metering/admin/review_queue.html", {"readings": readings})


@permission_required(REVIEW_PERMISSION, raise_exception=True)
def review_reading(request, pk):
    reading = get_object_or_404(_queue(), pk=pk)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review(
                reading,
                staff=request.user,
                decision=form.cleaned_data["decision"],
                value=form.cleaned_data.get("value"),
                reason=form.cleaned_data.get("reason", ""),
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, _("Reading reviewed; the customer has been told."))
            return redirect("metering_review_queue")
    history = (
        Reading.objects.filter(register=reading.register)
        .exclude(pk=reading.pk)
        .order_by("-read_on", "-created_at")[:12]
    )
    return TemplateResponse(
        request,
        "metering/admin/review_reading.html",
        {"reading": reading, "form": form, "history": history},
    )


@permission_required(REVIEW_PERMISSION, raise_exception=True)
def reading_photo(request, pk):
    reading = get_object_or_404(Reading, pk=pk)
    if not reading.photo:
        raise Http404
    response = FileResponse(reading.photo.open("rb"), as_attachment=True)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
