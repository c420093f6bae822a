"""The customer API: the user's customers and switching between them, contracts."""

from django.http import FileResponse
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, renderers, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from . import audit
from .api import (
    ERROR_RESPONSES,
    PDF_RESPONSE,
    UUID_PATTERN,
    FileResponsesMixin,
    HasCustomerAbility,
    MembershipSerializer,
    PdfRenderer,
    private_file,
)
from .gate import active_membership, memberships_of, switch_customer
from .models import Ability, AuditEvent, Contract, ContractDocument, Membership


def _membership_row(membership, current) -> dict:
    return {
        "customer": membership.customer,
        "role": membership.role,
        "abilities": sorted(membership.abilities),
        "active": current is not None and membership.pk == current.pk,
    }


@extend_schema_view(
    list=extend_schema(summary="The customers you act for, with your role and abilities"),
)
class CustomerViewSet(viewsets.GenericViewSet):
    """The user's customers; one of them is active and every other endpoint serves it."""

    serializer_class = MembershipSerializer
    permission_classes = [permissions.IsAuthenticated]
    lookup_url_kwarg = "customer_id"
    lookup_value_regex = UUID_PATTERN
    pagination_class = None
    queryset = Membership.objects.none()  # for the schema; the actions read the gate

    def list(self, request):
        current = active_membership(request)
        rows = [_membership_row(m, current) for m in memberships_of(request.user)]
        return Response(MembershipSerializer(rows, many=True).data)

    @extend_schema(
        summary="Make this customer the active one",
        request=None,
        responses={200: MembershipSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def activate(self, request, customer_id=None):
        try:
            membership = switch_customer(
                request, serializers.UUIDField().to_internal_value(customer_id)
            )
        except serializers.ValidationError:
            membership = None
        if membership is None:
            raise exceptions.NotFound
        return Response(MembershipSerializer(_membership_row(membership, membership)).data)


class ContractDocumentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    pdf_url = serializers.HyperlinkedIdentityField(
        view_name="api-v1:contract-document-pdf",
        lookup_field="public_id",
        lookup_url_kwarg="document_id",
    )

    class Meta:
        model = ContractDocument
        fields = ["id", "version", "title", "requires_acceptance", "published_at", "pdf_url"]


class ContractSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    service_points = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")

    class Meta:
        model = Contract
        fields = ["id", "number", "kind", "status", "start_date", "end_date", "service_points"]


class ContractDetailSerializer(ContractSerializer):
    documents = ContractDocumentSerializer(many=True, read_only=True)

    class Meta(ContractSerializer.Meta):
        fields = [*ContractSerializer.Meta.fields, "documents"]


@extend_schema_view(
    list=extend_schema(summary="Contracts", responses={200: ContractSerializer, **ERROR_RESPONSES}),
    retrieve=extend_schema(
        summary="A contract with its documents",
        responses={200: ContractDetailSerializer, **ERROR_RESPONSES},
    ),
)
class ContractViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The active customer's contracts that the membership reaches."""

    permission_classes = [HasCustomerAbility]
    required_ability = Ability.VIEW_CONTRACTS
    lookup_field = "public_id"
    lookup_url_kwarg = "contract_id"
    lookup_value_regex = UUID_PATTERN
    filterset_fields = ["kind", "status"]
    queryset = Contract.objects.none()  # for the schema; requests use the gate below

    def get_serializer_class(self):
        return ContractDetailSerializer if self.action == "retrieve" else ContractSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        contracts = Contract.objects.for_membership(self.membership).prefetch_related(
            "service_points"
        )
        if self.action == "retrieve":
            contracts = contracts.prefetch_related("documents")
        return contracts.order_by("-start_date", "number")


class ContractDocumentViewSet(
    FileResponsesMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Documents of the contracts the membership reaches, and their PDFs (audited)."""

    serializer_class = ContractDocumentSerializer
    permission_classes = [HasCustomerAbility]
    required_ability = Ability.VIEW_CONTRACTS
    lookup_field = "public_id"
    lookup_url_kwarg = "document_id"
    lookup_value_regex = UUID_PATTERN
    queryset = ContractDocument.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return ContractDocument.objects.select_related("contract").filter(
            contract__in=Contract.objects.for_membership(self.membership)
        )

    @extend_schema(
        summary="The document as a PDF", responses={200: PDF_RESPONSE, **ERROR_RESPONSES}
    )
    @action(detail=True, methods=["get"], renderer_classes=[PdfRenderer, renderers.JSONRenderer])
    def pdf(self, request, document_id=None):
        document = self.get_object()
        audit.record(
            AuditEvent.Action.DOWNLOAD, request, customer=self.membership.customer, obj=document
        )
        return private_file(
            FileResponse(
                document.file.open("rb"),
                as_attachment=True,
                content_type="application/pdf",
                filename=f"{document.contract.number}-v{document.version}.pdf".replace("/", "-"),
            )
        )


def register(router) -> None:
    router.register("customers", CustomerViewSet, basename="customer")
    router.register("contracts", ContractViewSet, basename="contract")
    router.register("contract-documents", ContractDocumentViewSet, basename="contract-document")
