"""Staff screens in the Wagtail admin for generating portal access in bulk."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from . import audit, impersonation
from .models import AccessBatch, AuditEvent, ChangeRequest, Customer, Segment
from .services import decide_change_request
from .tasks import generate_access_letters

PERMISSION = "customers.add_activationcode"


class AccessBatchForm(forms.Form):
    numbers = forms.CharField(
        label=_("Customer numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("One per line, or separated by commas or spaces."),
    )
    without_users = forms.BooleanField(
        label=_("All customers that have no portal user yet"), required=False
    )
    segment = forms.ModelChoiceField(
        label=_("Only customers in segment"), queryset=Segment.objects.all(), required=False
    )

    def clean(self):
        cleaned = super().clean()
        numbers = {n for n in cleaned.get("numbers", "").replace(",", " ").split() if n}
        queryset = Customer.objects.none()
        if numbers:
            queryset = Customer.objects.filter(number__in=numbers)
            unknown = numbers - set(queryset.values_list("number", flat=True))
            if unknown:
                self.add_error(
                    "numbers",
                    _("No customer has the number: %(numbers)s")
                    % {"numbers": ", ".join(sorted(unknown))},
                )
        if cleaned.get("without_users"):
            queryset = queryset | Customer.objects.exclude(memberships__status="active").exclude(
                email=""
            )
        if cleaned.get("segment"):
            queryset = queryset.filter(segments=cleaned["segment"])
        customers = list(queryset.distinct())
        missing_email = [c.number for c in customers if not c.email]
        if missing_email:
            self.add_error(
                "numbers",
                _("These customers have no e-mail address for part B: %(numbers)s")
                % {"numbers": ", ".join(missing_email)},
            )
        if not customers and not self.errors:
            raise forms.ValidationError(_("Choose at least one customer."))
        cleaned["customers"] = customers
        return cleaned


@never_cache
@permission_required(PERMISSION, raise_exception=True)
def access_batch_create(request):
    initial = {"numbers": request.GET.get("numbers", "")}
    form = AccessBatchForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            batch = AccessBatch.objects.create(
                created_by=request.user, total=len(form.cleaned_data["customers"])
            )
            batch.customers.set(form.cleaned_data["customers"])
            generate_access_letters.delay(batch.pk)
        return redirect("customers_access_batch", batch.pk)
    batches = AccessBatch.objects.all()[:10]
    return TemplateResponse(
        request, "customers/admin/access_batch_create.html", {"form": form, "batches": batches}
    )


@never_cache
@permission_required(PERMISSION, raise_exception=True)
def access_batch_detail(request, batch_id: int):
    batch = get_object_or_404(AccessBatch, pk=batch_id)
    return TemplateResponse(request, "customers/admin/access_batch_detail.html", {"batch": batch})


@never_cache
@permission_required(PERMISSION, raise_exception=True)
def access_batch_letters(request, batch_id: int):
    batch = get_object_or_404(AccessBatch, pk=batch_id, status=AccessBatch.Status.DONE)
    if not batch.letters:
        raise Http404
    audit.record(AuditEvent.Action.DOWNLOAD, request, obj=batch, file="access letters")
    response = FileResponse(
        batch.letters.open("rb"),
        as_attachment=True,
        filename=f"activation-letters-{batch.pk}.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@never_cache
@permission_required("customers.change_changerequest", raise_exception=True)
def decide_change_request_view(request, pk: int):
    """Approve or reject a customer's change request (POST from its inspect page)."""
    change_request = get_object_or_404(ChangeRequest, pk=pk)
    if request.method != "POST":
        return redirect("customers_changerequest_modeladmin_inspect", pk)
    approve = request.POST.get("decision") == "approve"
    try:
        decide_change_request(
            change_request, request.user, approve=approve, reason=request.POST.get("reason", "")
        )
    except (ValueError, ValidationError) as error:
        messages.error(request, _("The change could not be applied: %(error)s") % {"error": error})
    else:
        messages.success(request, _("Approved.") if approve else _("Rejected."))
    return redirect("customers_changerequest_modeladmin_inspect", pk)


@never_cache
@permission_required(impersonation.PERMISSION, raise_exception=True)
def start_viewing_as(request, pk: int):
    """Open the customer area as this customer sees it, read-only (POST)."""
    customer = get_object_or_404(Customer, pk=pk)
    if request.method != "POST":
        return redirect("customers_customer_modeladmin_inspect", pk)
    request.session[impersonation.SESSION_KEY] = customer.pk
    audit.record(AuditEvent.Action.IMPERSONATION, request, customer=customer, step="start")
    return redirect("customer:dashboard")
