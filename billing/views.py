from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views import View
from django.views.generic import DetailView, ListView

from customers import audit
from customers.models import Ability, AuditEvent
from customers.views import AreaFrameMixin

from .models import AdvanceInstalment, Invoice, Payment
from .models.invoices import HALF_CENT

STATUS_FILTERS = {
    "unpaid": lambda qs: qs.filter(open_amount__gte=HALF_CENT),
    "overdue": lambda qs: qs.filter(open_amount__gte=HALF_CENT, due_date__lt=timezone.localdate()),
    "paid": lambda qs: qs.filter(open_amount__lt=HALF_CENT),
}


class InvoiceListView(AreaFrameMixin, ListView):
    required_ability = Ability.VIEW_BILLING
    template_name = "billing/invoice_list.html"
    context_object_name = "invoices"
    paginate_by = 20

    def get_queryset(self):
        invoices = (
            Invoice.objects.for_membership(self.membership)
            .with_paid()
            .select_related("service_point")
            .order_by("-issue_date", "-number")
        )
        status = self.request.GET.get("status")
        if status in STATUS_FILTERS:
            invoices = STATUS_FILTERS[status](invoices.payable())
        return invoices

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "status": self.request.GET.get("status", "")}


class InvoiceDetailView(AreaFrameMixin, DetailView):
    required_ability = Ability.VIEW_BILLING
    template_name = "billing/invoice_detail.html"
    context_object_name = "invoice"

    def get_object(self, queryset=None):
        return get_object_or_404(
            Invoice.objects.for_membership(self.membership)
            .with_paid()
            .select_related("service_point", "corrected_invoice")
            .prefetch_related("lines", "allocations__payment"),
            public_id=self.kwargs["invoice_id"],
        )


class InvoicePdfView(AreaFrameMixin, View):
    """The ERP's original PDF when there is one, else ours; always an audited attachment."""

    required_ability = Ability.VIEW_BILLING

    def get(self, request, invoice_id):
        from documents.pdf import issuing_company

        from .pdf import render_invoice

        invoice = get_object_or_404(
            Invoice.objects.for_membership(self.membership).select_related(
                "customer", "service_point", "corrected_invoice"
            ),
            public_id=invoice_id,
        )
        filename = invoice.number.replace("/", "-") + ".pdf"
        audit.record(AuditEvent.Action.DOWNLOAD, request, customer=self.customer, obj=invoice)
        if invoice.erp_pdf:
            response = FileResponse(
                invoice.erp_pdf.open("rb"),
                as_attachment=True,
                filename=filename,
                content_type="application/pdf",
            )
        else:
            response = HttpResponse(
                render_invoice(invoice, issuing_company()), content_type="application/pdf"
            )
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class PaymentListView(AreaFrameMixin, ListView):
    required_ability = Ability.VIEW_BILLING
    template_name = "billing/payment_list.html"
    context_object_name = "payments"
    paginate_by = 20

    def get_queryset(self):
        return Payment.objects.for_membership(self.membership).prefetch_related(
            "allocations__invoice", "allocations__instalment"
        )


class InstalmentListView(AreaFrameMixin, ListView):
    """The advance payment schedule: instalments, what is paid and what is still open."""

    required_ability = Ability.VIEW_BILLING
    template_name = "billing/instalment_list.html"
    context_object_name = "instalments"

    def get_queryset(self):
        return (
            AdvanceInstalment.objects.for_membership(self.membership)
            .with_paid()
            .select_related("service_point")
            .order_by("due_date")
        )

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "today": timezone.localdate(),
            "half_cent": HALF_CENT,
        }
