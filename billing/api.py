"""Billing on the customer API: invoices (with their PDFs), payments, balance, statement."""

import django_filters
from django.http import FileResponse, HttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, renderers, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from customers import audit
from customers.api import (
    ERROR_RESPONSES,
    PDF_RESPONSE,
    UUID_PATTERN,
    CsvRenderer,
    ErrorSerializer,
    FileResponsesMixin,
    HasCustomerAbility,
    PdfRenderer,
    private_file,
)
from customers.models import Ability, AuditEvent
from customers.periods import PeriodForm

from .balance import balance_for
from .models import Invoice, InvoiceLine, Payment
from .statement import statement_for
from .views import STATUS_FILTERS


class InvoiceFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=_("status"),
        choices=[("paid", _("paid")), ("unpaid", _("unpaid")), ("overdue", _("overdue"))],
        method="filter_status",
    )
    issued_from = django_filters.DateFilter(field_name="issue_date", lookup_expr="gte")
    issued_to = django_filters.DateFilter(field_name="issue_date", lookup_expr="lte")
    service_point = django_filters.UUIDFilter(field_name="service_point__public_id")

    class Meta:
        model = Invoice
        fields = ["kind"]

    def filter_status(self, queryset, name, value):
        return STATUS_FILTERS[value](queryset.payable())


class InvoiceLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvoiceLine
        fields = [
            "position",
            "description",
            "quantity",
            "unit",
            "unit_net_price",
            "vat_rate",
            "net",
            "vat",
            "gross",
        ]


class InvoiceSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    service_point = serializers.SlugRelatedField(read_only=True, slug_field="code")
    status = serializers.SerializerMethodField()
    paid = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    open_amount = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    pdf_url = serializers.HyperlinkedIdentityField(
        view_name="api-v1:invoice-pdf", lookup_field="public_id", lookup_url_kwarg="invoice_id"
    )

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "kind",
            "status",
            "issue_date",
            "sale_date",
            "due_date",
            "currency",
            "net_total",
            "vat_total",
            "gross_total",
            "paid",
            "open_amount",
            "split_payment",
            "ksef_number",
            "service_point",
            "pdf_url",
        ]

    def get_status(self, invoice) -> str:
        return invoice.status()


class InvoiceDetailSerializer(InvoiceSerializer):
    lines = InvoiceLineSerializer(many=True, read_only=True)
    corrected_invoice = serializers.UUIDField(
        source="corrected_invoice.public_id", read_only=True, allow_null=True
    )

    class Meta(InvoiceSerializer.Meta):
        fields = [*InvoiceSerializer.Meta.fields, "corrected_invoice", "lines"]


@extend_schema_view(
    list=extend_schema(summary="Invoices", responses={200: InvoiceSerializer, **ERROR_RESPONSES}),
    retrieve=extend_schema(
        summary="An invoice with its lines",
        responses={200: InvoiceDetailSerializer, **ERROR_RESPONSES},
    ),
)
class InvoiceViewSet(
    FileResponsesMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The active customer's invoices that the membership reaches, newest first."""

    permission_classes = [HasCustomerAbility]
    required_ability = Ability.VIEW_BILLING
    lookup_field = "public_id"
    lookup_url_kwarg = "invoice_id"
    lookup_value_regex = UUID_PATTERN
    filterset_class = InvoiceFilter
    queryset = Invoice.objects.none()  # for the schema; requests use the gate below

    def get_serializer_class(self):
        return InvoiceDetailSerializer if self.action == "retrieve" else InvoiceSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        invoices = Invoice.objects.for_membership(self.membership)
        if self.action == "pdf":
            return invoices.select_related("customer", "service_point", "corrected_invoice")
        invoices = (
            invoices.with_paid().select_related("service_point").order_by("-issue_date", "-number")
        )
        if self.action == "retrieve":
            invoices = invoices.select_related("corrected_invoice").prefetch_related("lines")
        return invoices

    @extend_schema(
        summary="The invoice as a PDF (the ERP's original when there is one)",
        responses={200: PDF_RESPONSE, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["get"], renderer_classes=[PdfRenderer, renderers.JSONRenderer])
    def pdf(self, request, invoice_id=None):
        from documents.pdf import issuing_company

        from .pdf import render_invoice

        invoice = self.get_object()
        filename = invoice.number.replace("/", "-") + ".pdf"
        audit.record(
            AuditEvent.Action.DOWNLOAD, request, customer=self.membership.customer, obj=invoice
        )
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
        return private_file(response)


class PaymentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    invoices = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = ["id", "kind", "amount", "currency", "received_on", "title", "invoices"]

    def get_invoices(self, payment) -> list[str]:
        """Numbers of the invoices this payment settled."""
        return [a.invoice.number for a in payment.allocations.all() if a.invoice is not None]


class PaymentFilter(django_filters.FilterSet):
    received_from = django_filters.DateFilter(field_name="received_on", lookup_expr="gte")
    received_to = django_filters.DateFilter(field_name="received_on", lookup_expr="lte")

    class Meta:
        model = Payment
        fields = ["kind"]


@extend_schema_view(
    list=extend_schema(summary="Payments", responses={200: PaymentSerializer, **ERROR_RESPONSES})
)
class PaymentViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Payments received from the active customer, newest first."""

    serializer_class = PaymentSerializer
    permission_classes = [HasCustomerAbility]
    required_ability = Ability.VIEW_BILLING
    filterset_class = PaymentFilter
    queryset = Payment.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return Payment.objects.for_membership(self.membership).prefetch_related(
            "allocations__invoice"
        )


class BalanceSerializer(serializers.Serializer):
    amount_due = serializers.DecimalField(max_digits=14, decimal_places=2)
    open_invoices = serializers.DecimalField(max_digits=14, decimal_places=2)
    open_instalments = serializers.DecimalField(max_digits=14, decimal_places=2)
    credit = serializers.DecimalField(max_digits=14, decimal_places=2)
    overdue = serializers.DecimalField(max_digits=14, decimal_places=2)
    ageing = serializers.DictField(child=serializers.DecimalField(max_digits=14, decimal_places=2))
    next_due = serializers.DateField(allow_null=True)
    next_due_amount = serializers.DecimalField(max_digits=14, decimal_places=2)


class StatementRowSerializer(serializers.Serializer):
    date = serializers.DateField()
    document = serializers.CharField()
    description = serializers.CharField()
    debit = serializers.DecimalField(max_digits=14, decimal_places=2)
    credit = serializers.DecimalField(max_digits=14, decimal_places=2)
    balance = serializers.DecimalField(max_digits=14, decimal_places=2)
    invoice_id = serializers.UUIDField(allow_null=True)


class StatementSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    opening_balance = serializers.DecimalField(max_digits=14, decimal_places=2)
    rows = StatementRowSerializer(many=True)
    closing_balance = serializers.DecimalField(max_digits=14, decimal_places=2)
    total_debit = serializers.DecimalField(max_digits=14, decimal_places=2)
    total_credit = serializers.DecimalField(max_digits=14, decimal_places=2)


class AccountViewSet(FileResponsesMixin, viewsets.ViewSet):
    """The active customer's account as a whole: balance and the statement of account."""

    permission_classes = [HasCustomerAbility]
    required_ability = Ability.VIEW_BILLING

    @extend_schema(
        summary="Balance and ageing", responses={200: BalanceSerializer, **ERROR_RESPONSES}
    )
    @action(detail=False, methods=["get"])
    def balance(self, request):
        balance = balance_for(self.membership)
        data = {
            name: getattr(balance, name)
            for name in (
                "amount_due",
                "open_invoices",
                "open_instalments",
                "credit",
                "overdue",
                "ageing",
                "next_due",
                "next_due_amount",
            )
        }
        return Response(BalanceSerializer(data).data)

    @extend_schema(
        summary="Statement of account for a period (JSON, or a file with ?format=csv|pdf)",
        parameters=[
            OpenApiParameter(
                "from",
                OpenApiTypes.DATE,
                description=_("First day; a year before `to` if left out."),
            ),
            OpenApiParameter(
                "to", OpenApiTypes.DATE, description=_("Last day; today if left out.")
            ),
            OpenApiParameter("format", str, enum=["json", "csv", "pdf"]),
        ],
        responses={
            (200, "application/json"): StatementSerializer,
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY),
            400: ErrorSerializer,
            **ERROR_RESPONSES,
        },
    )
    @action(
        detail=False,
        methods=["get"],
        renderer_classes=[renderers.JSONRenderer, PdfRenderer, CsvRenderer],
    )
    def statement(self, request):
        form = PeriodForm(request.query_params, today=timezone.localdate())
        if not form.is_valid():
            raise exceptions.ValidationError(
                {name: [str(m) for m in messages] for name, messages in form.errors.items()}
            )
        statement = statement_for(
            self.membership, form.cleaned_data["from"], form.cleaned_data["to"]
        )
        file_format = request.accepted_renderer.format
        if file_format not in ("pdf", "csv"):
            return Response(StatementSerializer(statement).data)
        return self._statement_file(request, statement, file_format)

    def _statement_file(self, request, statement, file_format: str):
        from documents.pdf import issuing_company

        from .statement_export import render_statement_pdf, statement_csv
        from .statement_views import CONTENT_TYPES

        customer = self.membership.customer
        if file_format == "pdf":
            content = render_statement_pdf(statement, customer, issuing_company())
        else:
            content = statement_csv(statement)
        filename = "{name}-{number}-{start:%Y-%m-%d}-{end:%Y-%m-%d}.{ext}".format(
            name=slugify(pgettext("file name", "statement")) or "statement",
            number=slugify(customer.number),
            start=statement.start,
            end=statement.end,
            ext=file_format,
        )
        audit.record(
            AuditEvent.Action.DOWNLOAD,
            request,
            customer=customer,
            file="statement",
            format=file_format,
            start=statement.start.isoformat(),
            end=statement.end.isoformat(),
        )
        response = HttpResponse(content, content_type=CONTENT_TYPES[file_format])
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return private_file(response)


def register(router) -> None:
    router.register("invoices", InvoiceViewSet, basename="invoice")
    router.register("payments", PaymentViewSet, basename="payment")
    router.register("account", AccountViewSet, basename="account")
