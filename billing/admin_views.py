"""Staff upload a bank statement in the admin; the result or the reason it was refused."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Customer
from documents.pdf import issuing_company

from .bank.importer import import_statement
from .bank.parsers import StatementError
from .models import BankCredit, Payment
from .services import book_payment

MAX_STATEMENT_BYTES = 20 * 1024 * 1024


class StatementUploadForm(forms.Form):
    statement = forms.FileField(
        label=gettext_lazy("Bank statement (MT940 or camt.053)"),
        help_text=gettext_lazy("Importing the same statement again adds nothing."),
    )

    def clean_statement(self):
        upload = self.cleaned_data["statement"]
        if upload.size > MAX_STATEMENT_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return upload


@permission_required("billing.add_payment", raise_exception=True)
def upload_statement(request):
    form = StatementUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["statement"]
        try:
            result = import_statement(
                upload.read(), own_account=issuing_company().bank_account, filename=upload.name
            )
        except StatementError as error:
            form.add_error("statement", str(error))
        else:
            messages.success(
                request,
                _("%(booked)s booked, %(review)s to review, %(before)s imported before.")
                % {
                    "booked": result.booked,
                    "review": result.to_review,
                    "before": result.already_imported,
                },
            )
            return redirect("billing_upload_statement")
    return TemplateResponse(request, "billing/admin/upload_statement.html", {"form": form})


@permission_required("billing.add_payment", raise_exception=True)
def review_credits(request):
    """Unmatched bank credits: staff name the customer, the credit is booked as a payment."""
    if request.method == "POST":
        credit = BankCredit.objects.filter(
            pk=request.POST.get("credit"), status=BankCredit.Status.UNMATCHED
        ).first()
        customer = Customer.objects.filter(number=request.POST.get("customer", "").strip()).first()
        if credit is None:
            messages.error(request, _("This credit has been dealt with already."))
        elif request.POST.get("decision") == "ignore":
            credit.status = BankCredit.Status.IGNORED
            credit.save(update_fields=["status"])
        elif customer is None:
            messages.error(
                request,
                _("No customer has the number %(number)s.")
                % {"number": request.POST.get("customer", "")},
            )
        else:
            with transaction.atomic():
                credit.payment = book_payment(
                    customer=customer,
                    amount=credit.amount,
                    received_on=credit.booked_on,
                    kind=Payment.Kind.TRANSFER,
                    title=credit.title[:300],
                    external_id=f"bank:{credit.dedupe_key}",
                )
                credit.customer = customer
                credit.status = BankCredit.Status.MATCHED
                credit.save(update_fields=["payment", "customer", "status"])
            messages.success(request, _("Booked for %(customer)s.") % {"customer": customer})
        return redirect("billing_review_credits")
    credits = BankCredit.objects.filter(status=BankCredit.Status.UNMATCHED)[:200]
    return TemplateResponse(request, "billing/admin/review_credits.html", {"credits": credits})
