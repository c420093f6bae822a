"""The customer gate for the REST API: the same membership and role matrix as the pages."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, mixins, permissions, renderers, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView, set_rollback

from .gate import active_membership, memberships_of
from .models import Ability, ServicePoint

UUID_PATTERN = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
"""A public id in a URL: anything else is not an object of ours (404), never a 500."""


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
    lookup_value_regex = UUID_PATTERN
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


def _messages(detail) -> list[str]:
    if isinstance(detail, dict):
        return [m for value in detail.values() for m in _messages(value)]
    if isinstance(detail, list):
        return [m for value in detail for m in _messages(value)]
    return [str(detail)]


def _fields(detail) -> dict[str, list[str]]:
    """Validation errors by field; nested serializers as `parent.child`, list items by index."""
    if isinstance(detail, list):
        if detail and all(isinstance(item, dict) for item in detail):
            return {
                f"{index}.{name}": messages
                for index, item in enumerate(detail)
                for name, messages in _fields(item).items()
            }
        return {"non_field_errors": _messages(detail)}
    fields = {}
    for name, value in detail.items():
        if isinstance(value, dict):
            fields.update({f"{name}.{key}": msgs for key, msgs in _fields(value).items()})
        else:
            fields[name] = _messages(value)
    return fields


def _code(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else exc.default_code


def api_exception_handler(exc, context):
    """Every API error as `{"error": {"code", "message", "fields"}}` (see the schema text).

    A token that does not work is a 401 with a `WWW-Authenticate: Bearer` challenge, even
    though the session comes first among the authentication classes.
    """
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    headers = {}
    if isinstance(exc, exceptions.AuthenticationFailed):
        exc.status_code = 401
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    elif getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        error = {
            "code": "invalid",
            "message": str(_("Some of the data is not valid; see the fields.")),
            "fields": _fields(exc.detail),
        }
    else:
        error = {"code": _code(exc), "message": " ".join(_messages(exc.detail)), "fields": {}}
    set_rollback()
    return Response({"error": error}, status=exc.status_code, headers=headers)


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class ErrorSerializer(serializers.Serializer):
    """The one shape of every API error."""

    error = ErrorDetailSerializer()


class FileRenderer(renderers.BaseRenderer):
    """Lets a view answer a file (PDF, CSV) through content negotiation; errors stay JSON."""

    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class PdfRenderer(FileRenderer):
    media_type = "application/pdf"
    format = "pdf"


class CsvRenderer(FileRenderer):
    media_type = "text/csv"
    format = "csv"


class FileResponsesMixin:
    """For actions that return files: an error is still rendered as the one JSON shape."""

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response) and response.status_code >= 400:
            request.accepted_renderer = renderers.JSONRenderer()
            request.accepted_media_type = request.accepted_renderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


def private_file(response):
    """Headers of every customer file: never cached by a proxy, never sniffed."""
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


PDF_RESPONSE = OpenApiResponse(
    response=OpenApiTypes.BINARY, description=_("The PDF file, as an attachment.")
)
ERROR_RESPONSES = {
    401: OpenApiResponse(ErrorSerializer, description=_("The token does not work.")),
    403: OpenApiResponse(
        ErrorSerializer, description=_("Not signed in, or the role does not allow this.")
    ),
    404: OpenApiResponse(ErrorSerializer, description=_("No such object for the active customer.")),
}
