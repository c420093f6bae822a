"""The customer REST API for requests: types, filing, the public thread, moves, rating, files."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.settings import api_settings

from customers.api import UUID_PATTERN, HasCustomerAbility
from customers.models import Ability

from . import services, workflow
from .forms import RatingForm, ReopenForm, ReplyForm, RequestForm
from .models import Attachment, Event, Message, Request, RequestType

UUID_REGEX = UUID_PATTERN
S = Request.Status


def form_errors(form) -> dict:
    """A Django form's messages as API field errors (`non_field_errors` for the form's own)."""
    errors = {}
    for field, messages in form.errors.get_json_data().items():
        key = api_settings.NON_FIELD_ERRORS_KEY if field == "__all__" else field
        errors[key] = [m["message"] for m in messages]
    return errors


class FieldSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField(source="display_label")
    kind = serializers.CharField()
    required = serializers.BooleanField()
    help_text = serializers.CharField(source="display_help_text")
    choices = serializers.SerializerMethodField()
    min_value = serializers.DecimalField(max_digits=14, decimal_places=3, allow_null=True)
    max_value = serializers.DecimalField(max_digits=14, decimal_places=3, allow_null=True)

    def get_choices(self, spec) -> list[dict[str, str]]:
        return [{"value": value, "label": label} for value, label in spec.choice_pairs()]


class RequestTypeSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name")
    description = serializers.CharField(source="display_description")
    fields = FieldSerializer(many=True, read_only=True)

    class Meta:
        model = RequestType
        fields = ["slug", "name", "category", "description", "fields"]


class AttachmentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    name = serializers.CharField(source="original_name")

    class Meta:
        model = Attachment
        fields = ["id", "name", "content_type", "size", "created_at"]


class ThreadMessageSerializer(serializers.ModelSerializer):
    attachments = AttachmentSerializer(many=True, read_only=True, source="public_attachments")

    class Meta:
        model = Message
        fields = ["from_staff", "body", "created_at", "attachments"]


class EventSerializer(serializers.Serializer):
    kind = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    text = serializers.CharField()
    created_at = serializers.DateTimeField()


class RequestSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    request_type = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    service_point_id = serializers.UUIDField(
        source="service_point.public_id", read_only=True, allow_null=True
    )

    class Meta:
        model = Request
        fields = [
            "id",
            "reference",
            "request_type",
            "service_point_id",
            "subject",
            "status",
            "created_at",
            "updated_at",
            "first_response_due",
            "resolution_due",
            "resolved_at",
            "closed_at",
            "rating",
        ]


class RequestDetailSerializer(RequestSerializer):
    answers = serializers.JSONField(source="data", read_only=True)
    thread = ThreadMessageSerializer(many=True, read_only=True, source="public_messages")
    files = AttachmentSerializer(many=True, read_only=True, source="request_files")
    events = EventSerializer(many=True, read_only=True, source="public_events")
    allowed_moves = serializers.SerializerMethodField()

    class Meta(RequestSerializer.Meta):
        fields = [
            *RequestSerializer.Meta.fields,
            "rating_comment",
            "answers",
            "thread",
            "files",
            "events",
            "allowed_moves",
        ]

    def get_allowed_moves(self, request) -> list[str]:
        return workflow.allowed(request, by_staff=False)


class FileRequestSerializer(serializers.Serializer):
    """For the schema: the type's answers go alongside, named by the fields' keys."""

    request_type = serializers.SlugField()
    attachments = serializers.ListField(child=serializers.FileField(), required=False)


class ReplySerializer(serializers.Serializer):
    body = serializers.CharField()
    attachments = serializers.ListField(child=serializers.FileField(), required=False)


class ReopenSerializer(serializers.Serializer):
    reason = serializers.CharField()


class RateSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True)


class RequestFilter(filters.FilterSet):
    state = filters.ChoiceFilter(
        choices=[("open", "open"), ("closed", "closed")], method="filter_state"
    )
    status = filters.ChoiceFilter(choices=S.choices)
    request_type = filters.CharFilter(field_name="request_type__slug")

    class Meta:
        model = Request
        fields = ["state", "status", "request_type"]

    def filter_state(self, queryset, name, value):
        if value == "open":
            return queryset.open()
        return queryset.filter(status__in=Request.CLOSED_STATUSES)


class DeskAPIMixin:
    permission_classes = [HasCustomerAbility]
    required_ability = Ability.FILE_REQUESTS


@extend_schema_view(
    list=extend_schema(summary="Request types the membership may file, with their fields"),
    retrieve=extend_schema(summary="One request type with its fields"),
)
class RequestTypeViewSet(
    DeskAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = RequestTypeSerializer
    lookup_field = "slug"
    lookup_url_kwarg = "slug"
    queryset = RequestType.objects.none()
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return RequestType.objects.for_membership(self.membership).prefetch_related("fields")


@extend_schema_view(
    list=extend_schema(summary="The customer's requests, newest first"),
    retrieve=extend_schema(summary="A request with its public thread (never internal notes)"),
)
class RequestViewSet(
    DeskAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    lookup_field = "public_id"
    lookup_url_kwarg = "request_id"
    lookup_value_regex = UUID_REGEX
    filterset_class = RequestFilter
    queryset = Request.objects.none()
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self, detail=False):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        requests = Request.objects.for_membership(self.membership).select_related(
            "request_type", "service_point"
        )
        if detail or self.action == "retrieve":
            public_files = Attachment.objects.filter(internal=False)
            requests = requests.prefetch_related(
                Prefetch(
                    "messages",
                    Message.objects.filter(internal=False)
                    .order_by("created_at", "pk")
                    .prefetch_related(
                        Prefetch("attachments", public_files, to_attr="public_attachments")
                    ),
                    to_attr="public_messages",
                ),
                Prefetch(
                    "attachments",
                    public_files.filter(message__isnull=True),
                    to_attr="request_files",
                ),
                Prefetch(
                    "events",
                    Event.objects.filter(public=True).order_by("created_at"),
                    to_attr="public_events",
                ),
            )
        return requests.order_by("-created_at")

    def get_serializer_class(self):
        return {
            "retrieve": RequestDetailSerializer,
            "create": FileRequestSerializer,
            "reply": ReplySerializer,
            "reopen": ReopenSerializer,
            "rate": RateSerializer,
        }.get(self.action, RequestSerializer)

    def get_request(self) -> Request:
        return get_object_or_404(
            Request.objects.for_membership(self.membership).select_related("request_type"),
            public_id=self.kwargs["request_id"],
        )

    def fresh(self, request_id, code=status.HTTP_200_OK) -> Response:
        obj = get_object_or_404(self.get_queryset(detail=True), public_id=request_id)
        return Response(RequestDetailSerializer(obj).data, status=code)

    @extend_schema(
        summary="File a request (multipart: the type's answers by field key, and attachments)",
        request={"multipart/form-data": FileRequestSerializer},
        responses={201: RequestDetailSerializer},
    )
    def create(self, http_request):
        slug = http_request.data.get("request_type", "")
        request_type = (
            RequestType.objects.for_membership(self.membership)
            .prefetch_related("fields")
            .filter(slug=slug)
            .first()
        )
        if request_type is None:
            raise ValidationError({"request_type": [_("Choose a request type from the list.")]})
        form = RequestForm(
            http_request.data,
            http_request.FILES,
            request_type=request_type,
            membership=self.membership,
        )
        if not form.is_valid():
            raise ValidationError(form_errors(form))
        with transaction.atomic():
            filed = services.file_request(
                membership=self.membership,
                user=http_request.user,
                request_type=request_type,
                data=form.data_to_store(),
                service_point=form.service_point(),
                subject=form.subject(),
                uploads=form.uploads(),
                order_lines=form.order_lines(),
                http_request=http_request._request,
            )
        return self.fresh(filed.public_id, status.HTTP_201_CREATED)

    def _move(self, work) -> Response:
        request = self.get_request()
        try:
            with transaction.atomic():
                work(request)
        except DjangoValidationError as error:
            raise ValidationError({api_settings.NON_FIELD_ERRORS_KEY: error.messages}) from error
        return self.fresh(request.public_id)

    @extend_schema(
        summary="Write in the thread (multipart with attachments, or JSON)",
        request={"multipart/form-data": ReplySerializer, "application/json": ReplySerializer},
        responses=RequestDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def reply(self, http_request, request_id=None):
        self.get_object()  # another customer's request is not found, whatever the body
        form = ReplyForm(http_request.data, http_request.FILES)
        if not form.is_valid():
            raise ValidationError(form_errors(form))
        return self._move(
            lambda request: services.reply(
                request,
                author=http_request.user,
                body=form.cleaned_data["body"],
                by_staff=False,
                uploads=services.checked(form.cleaned_data["attachments"]),
            )
        )

    @extend_schema(
        summary="Accept the resolution: the request is closed",
        request=None,
        responses=RequestDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def accept(self, http_request, request_id=None):
        return self._move(
            lambda request: services.change_status(
                request, S.CLOSED, actor=http_request.user, by_staff=False
            )
        )

    @extend_schema(summary="Reopen with a reason", responses=RequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, http_request, request_id=None):
        self.get_object()  # another customer's request is not found, whatever the body
        form = ReopenForm(http_request.data)
        if not form.is_valid():
            raise ValidationError(form_errors(form))
        return self._move(
            lambda request: services.change_status(
                request,
                S.REOPENED,
                actor=http_request.user,
                by_staff=False,
                text=form.cleaned_data["reason"],
            )
        )

    @extend_schema(summary="Rate the handling, 1–5", responses=RequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def rate(self, http_request, request_id=None):
        self.get_object()  # another customer's request is not found, whatever the body
        form = RatingForm(http_request.data)
        if not form.is_valid():
            raise ValidationError(form_errors(form))
        return self._move(
            lambda request: services.rate(
                request,
                user=http_request.user,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
            )
        )

    @extend_schema(
        summary="Download a file of the request (never a staff-only one)",
        parameters=[OpenApiParameter("attachment_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=rf"files/(?P<attachment_id>{UUID_REGEX})",
        url_name="attachment",
        filterset_class=None,
    )
    def attachment(self, http_request, request_id=None, attachment_id=None):
        request = self.get_request()
        attachment = get_object_or_404(
            Attachment.objects.filter(request=request, internal=False), public_id=attachment_id
        )
        response = FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.original_name,
            content_type=attachment.content_type,
        )
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "sandbox; default-src 'none'"
        return response


def register(router) -> None:
    router.register("request-types", RequestTypeViewSet, basename="request-type")
    router.register("requests", RequestViewSet, basename="request")
