"""Staff upload a bank statement in the admin; the result or the reason it was refused."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from documents.pdf import issuing_company

from .bank.importer import import_statement
from .bank.parsers import StatementError

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
