"""The customer REST API for meters: meters with registers, readings, submitting one, consumption."""

import json

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiRequest,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.settings import api_settings

from customers.api import UUID_PATTERN, HasCustomerAbility
from customers.models import Ability, ServicePoint

from .forms import ReadingForm
from .models import Medium, Meter, Reading
from .reports import service_point_reports
from .services import field_name, submit_readings
from .windows import self_reading_at

UUID_REGEX = UUID_PATTERN


class RegisterSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class MeterSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    service_point_id = serializers.UUIDField(source="service_point.public_id", read_only=True)
    registers = RegisterSerializer(many=True, read_only=True)

    class Meta:
        model = Meter
        fields = [
            "id",
            "service_point_id",
            "serial_number",
            "medium",
            "unit",
            "digits",
            "decimals",
            "installed_on",
            "removed_on",
            "registers",
        ]


class ReadingSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    register = serializers.CharField(source="register.code", read_only=True)
    has_photo = serializers.SerializerMethodField()

    class Meta:
        model = Reading
        fields = [
            "id",
            "register",
            "value",
            "read_on",
            "source",
            "status",
            "rejection_reason",
            "has_photo",
            "created_at",
        ]

    def get_has_photo(self, reading) -> bool:
        return bool(reading.photo)


class SubmitReadingSerializer(serializers.Serializer):
    read_on = serializers.DateField(help_text="YYYY-MM-DD")
    values = serializers.DictField(
        child=serializers.CharField(),
        help_text='One value per register code, e.g. {"1.8.0": "12345"}.',
    )


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """A file part of a multipart body (the schema would otherwise call it a URL)."""


class SubmitReadingWithPhotoSerializer(SubmitReadingSerializer):
    """A reading with a photo of the meter's display, as multipart/form-data."""

    # Only describes the body: the photo is checked by ReadingForm, as in the portal.

    values = serializers.DictField(
        child=serializers.CharField(),
        help_text='The same object as in a JSON body, sent as a JSON text part: {"1.8.0": "12345"}.',
    )
    photo = UploadField(
        required=False,
        help_text="Optional photo of the meter's display: JPEG or PNG, up to 8 MB.",
    )


class SubmittedSerializer(serializers.Serializer):
    readings = ReadingSerializer(many=True)
    waits_for_review = serializers.BooleanField()


class MonthSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    month = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=16, decimal_places=3)


class ConsumptionSerializer(serializers.Serializer):
    service_point_id = serializers.UUIDField()
    unit = serializers.CharField()
    months = MonthSerializer(many=True)


class MeterFilter(filters.FilterSet):
    service_point = filters.UUIDFilter(field_name="service_point__public_id")
    medium = filters.ChoiceFilter(choices=Medium.choices)
    installed = filters.BooleanFilter(method="filter_installed")

    class Meta:
        model = Meter
        fields = ["service_point", "medium", "installed"]

    def filter_installed(self, queryset, name, value):
        installed = Meter.objects.installed(timezone.localdate()).values("pk")
        return queryset.filter(pk__in=installed) if value else queryset.exclude(pk__in=installed)


class ReadingFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Reading.Status.choices)
    source = filters.ChoiceFilter(choices=Reading.Source.choices)
    register = filters.CharFilter(field_name="register__code")
    read_after = filters.DateFilter(field_name="read_on", lookup_expr="gte")
    read_before = filters.DateFilter(field_name="read_on", lookup_expr="lte")

    class Meta:
        model = Reading
        fields = ["status", "source", "register", "read_after", "read_before"]


def window_message(meter: Meter, state, today) -> str | None:
    """Why a reading cannot be given now, in the words of the submit page; None when it can."""
    if not meter.is_installed(today):
        return _("This meter has been replaced; give the reading of the new meter.")
    if state.is_open:
        return None
    if state.allowed and state.state and state.state.next_opens_on:
        return _("The next reading window opens on %(date)s.") % {
            "date": date_format(state.state.next_opens_on, "j E Y")
        }
    if state.window and not state.allowed:
        return _("Our meter readers read this meter; you do not need to send readings.")
    return _("This meter is read by the company; self-readings are not collected.")


@extend_schema_view(
    list=extend_schema(summary="Meters the membership reaches, with their registers"),
    retrieve=extend_schema(summary="One meter with its registers"),
)
class MeterViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Meters at the service points of the active customer the membership reaches."""

    serializer_class = MeterSerializer
    permission_classes = [HasCustomerAbility]
    required_ability = Ability.VIEW_TECHNICAL
    lookup_field = "public_id"
    lookup_url_kwarg = "meter_id"
    lookup_value_regex = UUID_REGEX
    filterset_class = MeterFilter
    queryset = Meter.objects.none()  # for the schema; requests use the gate below

    def get_permissions(self):
        if self.action == "submit":
            self.required_ability = Ability.SUBMIT_READINGS
        return super().get_permissions()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return (
            Meter.objects.for_membership(self.membership)
            .select_related("service_point")
            .prefetch_related("registers")
            .order_by("service_point__code", "-installed_on", "serial_number")
        )

    def get_serializer_class(self):
        if self.action == "readings":
            return ReadingSerializer
        if self.action == "submit":
            return SubmitReadingSerializer
        return MeterSerializer

    def get_meter(self) -> Meter:
        return get_object_or_404(
            Meter.objects.for_membership(self.membership).select_related("service_point__customer"),
            public_id=self.kwargs["meter_id"],
        )

    @extend_schema(
        summary="The meter's readings, newest first (every status)",
        filters=True,
        parameters=[
            OpenApiParameter("status", str, enum=Reading.Status.values),
            OpenApiParameter("source", str, enum=Reading.Source.values),
            OpenApiParameter("register", str),
            OpenApiParameter("read_after", OpenApiTypes.DATE),
            OpenApiParameter("read_before", OpenApiTypes.DATE),
        ],
        responses=ReadingSerializer(many=True),
    )
    @action(
        detail=True,
        methods=["get"],
        filterset_class=None,
        parser_classes=[JSONParser, MultiPartParser],
    )
    def readings(self, request, meter_id=None):
        meter = self.get_meter()
        readings = (
            Reading.objects.filter(register__meter=meter)
            .select_related("register")
            .order_by("-read_on", "-created_at", "-pk")
        )
        readings = ReadingFilter(request.query_params, queryset=readings, request=request)
        if not readings.is_valid():
            raise ValidationError(readings.errors)
        page = self.paginate_queryset(readings.qs)
        return self.get_paginated_response(ReadingSerializer(page, many=True).data)

    @extend_schema(
        summary="Submit a reading: one value per register code, and a photo if you like",
        description=(
            "Send JSON, or multipart/form-data to attach a photo of the meter's display: "
            "`read_on`, `values` (the same JSON object as text) and an optional `photo` file."
        ),
        request={
            "application/json": SubmitReadingSerializer,
            "multipart/form-data": OpenApiRequest(
                SubmitReadingWithPhotoSerializer,
                encoding={"values": {"contentType": "application/json"}},
            ),
        },
        responses={201: SubmittedSerializer},
    )
    @readings.mapping.post
    def submit(self, request, meter_id=None):
        meter = self.get_meter()
        today = timezone.localdate()
        payload = SubmitReadingSerializer(data=_submission(request))
        payload.is_valid(raise_exception=True)
        state = self_reading_at(meter.service_point, today)
        problem = window_message(meter, state, today)
        if problem:
            raise ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [problem]})
        registers = {register.code: register for register in meter.registers.all()}
        values = payload.validated_data["values"]
        unknown = sorted(set(values) - set(registers))
        if unknown:
            raise ValidationError(
                {"values": {code: [_("This meter has no such register.")] for code in unknown}}
            )
        form = ReadingForm(
            {
                "read_on": payload.validated_data["read_on"].isoformat(),
                **{field_name(r): values.get(code, "") for code, r in registers.items()},
            },
            request.FILES,
            meter=meter,
        )
        form.is_valid()
        if "photo" in request.POST:  # a text part, e.g. the file's name instead of the file
            form.add_error("photo", form.fields["photo"].error_messages["invalid"])
        if not form.errors:
            try:
                with transaction.atomic():
                    readings = submit_readings(
                        meter,
                        form.values(),
                        form.cleaned_data["read_on"],
                        user=request.user,
                        window=state.state,
                        customer=meter.service_point.customer,
                        request=request,
                        photo=form.cleaned_data.get("photo"),
                        today=today,
                    )
            except DjangoValidationError as error:
                for field, errors in error.message_dict.items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
        if form.errors:
            raise ValidationError(_api_errors(form, registers))
        return Response(
            SubmittedSerializer(
                {
                    "readings": readings,
                    "waits_for_review": any(r.status == Reading.Status.REVIEW for r in readings),
                }
            ).data,
            status=status.HTTP_201_CREATED,
        )


def _submission(request) -> dict:
    """The body as the serializer reads it: a multipart `values` part is JSON text."""
    if not isinstance(request.data, QueryDict):
        return request.data
    data = {name: request.POST[name] for name in ("read_on", "values") if name in request.POST}
    if "values" in data:
        try:
            data["values"] = json.loads(data["values"])
        except ValueError as error:
            raise ValidationError(
                {"values": [_('Send the values as a JSON object, e.g. {"1.8.0": "12345"}.')]}
            ) from error
    return data


def _api_errors(form: ReadingForm, registers: dict) -> dict:
    """The form's messages under the API's names: `values.<register code>`, `read_on`."""
    by_field = {field_name(register): code for code, register in registers.items()}
    errors: dict = {}
    for field, messages in form.errors.get_json_data().items():
        texts = [m["message"] for m in messages]
        if field in by_field:
            errors.setdefault("values", {})[by_field[field]] = texts
        elif field == "__all__":
            errors[api_settings.NON_FIELD_ERRORS_KEY] = texts
        else:
            errors[field] = texts
    return errors


class ConsumptionViewSet(viewsets.GenericViewSet):
    """Monthly consumption of a service point, as on its consumption page."""

    serializer_class = ConsumptionSerializer
    permission_classes = [HasCustomerAbility]
    required_ability = Ability.VIEW_TECHNICAL
    lookup_url_kwarg = "service_point_id"
    lookup_value_regex = UUID_REGEX
    queryset = ServicePoint.objects.none()
    pagination_class = None
    filter_backends = []

    @extend_schema(
        summary="Consumption per month at a service point (all meters, replaced ones too)",
        parameters=[OpenApiParameter("year", int, description="Only this calendar year.")],
        responses=ConsumptionSerializer,
    )
    def retrieve(self, request, service_point_id=None):
        point = get_object_or_404(
            ServicePoint.objects.for_membership(self.membership), public_id=service_point_id
        )
        report = service_point_reports([point])[point.pk]
        year = request.query_params.get("year")
        if year is not None and not year.isdigit():
            raise ValidationError({"year": [_("Enter a year, e.g. 2026.")]})
        months = [
            {"year": y, "month": m, "amount": amount}
            for (y, m), amount in sorted(report.monthly().items())
            if year is None or y == int(year)
        ]
        return Response(
            ConsumptionSerializer(
                {"service_point_id": point.public_id, "unit": report.unit, "months": months}
            ).data
        )


def register(router) -> None:
    router.register("meters", MeterViewSet, basename="meter")
    router.register("consumption", ConsumptionViewSet, basename="consumption")
