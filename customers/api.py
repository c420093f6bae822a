"""The customer gate for the REST API: the same membership and role matrix as the pages."""

from django.utils.translation import gettext_lazy as _
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from .gate import active_membership, memberships_of
from .models import Ability, ServicePoint


class HasCustomerAbility(permissions.BasePermission):
    """Signed in, acting through a membership whose role has the view's `required_ability`."""

    message = _("Your role does not allow this.")

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        membership = active_membership(request)
        if membership is None:
            return False
        view.membership = membership
        return membership.can(getattr(view, "required_ability", Ability.VIEW_ACCOUNT))


class ServicePointSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = ServicePoint
        fields = [
            "id",
            "code",
            "name",
            "street",
            "postal_code",
            "city",
            "service_kind",
            "tariff",
            "status",
        ]


class ServicePointViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Service points of the active customer that the membership reaches."""

    serializer_class = ServicePointSerializer
    permission_classes = [HasCustomerAbility]
    required_ability = Ability.VIEW_ACCOUNT
    lookup_field = "public_id"
    lookup_url_kwarg = "service_point_id"
    lookup_value_regex = "[0-9a-f-]{36}"
    filterset_fields = ["service_kind", "status"]
    queryset = ServicePoint.objects.none()  # for the schema; requests use the gate below

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return ServicePoint.objects.for_membership(self.membership)


class MembershipSerializer(serializers.Serializer):
    customer_id = serializers.UUIDField(source="customer.public_id")
    customer_number = serializers.CharField(source="customer.number")
    customer_name = serializers.CharField(source="customer.name")
    role = serializers.CharField()
    abilities = serializers.ListField(child=serializers.CharField())
    active = serializers.BooleanField()


class MeSerializer(serializers.Serializer):
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    customers = MembershipSerializer(many=True)


class MeView(APIView):
    """Who is signed in and which customers they act for (the active one flagged)."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = MeSerializer

    def get(self, request):
        current = active_membership(request)
        customers = [
            {
                "customer": m.customer,
                "role": m.role,
                "abilities": sorted(m.abilities),
                "active": current is not None and m.pk == current.pk,
            }
            for m in memberships_of(request.user)
        ]
        user = request.user
        return Response(
            MeSerializer(
                {
                    "email": user.email,
                    "first_name": user.first_name,
                    "last_name": user.last_name,
                    "customers": customers,
                }
            ).data
        )
