"""The customer REST API for the user's notification settings: the grid, the phone, the consent."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.viewsets import ViewSet

from notifications.forms import MARKETING_CONSENT_TEXT, NotificationSettingsForm, field_name
from notifications.models import ALWAYS_ON, AT_LEAST_ONE_CHANNEL, Category, Channel
from notifications.services import save_notification_settings

from . import audit
from .api import HasCustomerAbility
from .models import Ability, AuditEvent


class ChannelsSerializer(serializers.Serializer):
    email = serializers.BooleanField(required=False)
    sms = serializers.BooleanField(required=False)


class RowSerializer(serializers.Serializer):
    category = serializers.CharField()
    label = serializers.CharField()
    channels = ChannelsSerializer()
    always_on = serializers.BooleanField()
    needs_a_channel = serializers.BooleanField()


class SettingsSerializer(serializers.Serializer):
    categories = RowSerializer(many=True)
    mobile_phone = serializers.CharField(allow_blank=True)
    marketing_consent = serializers.BooleanField()
    consent_text = serializers.CharField()


class SettingsUpdateSerializer(serializers.Serializer):
    categories = serializers.DictField(
        child=ChannelsSerializer(),
        required=False,
        help_text="Category → {email, sms}; categories left out keep their choices.",
    )
    mobile_phone = serializers.CharField(allow_blank=True, required=False)
    marketing_consent = serializers.BooleanField(required=False)


def grid(form: NotificationSettingsForm) -> dict:
    values = {name: form.initial.get(name) for name in form.fields}
    return {
        "categories": [
            {
                "category": category.value,
                "label": str(category.label),
                "channels": {
                    channel.value: bool(values[field_name(category, channel)])
                    for channel in Channel
                },
                "always_on": category in ALWAYS_ON,
                "needs_a_channel": category in AT_LEAST_ONE_CHANNEL,
            }
            for category in Category
        ],
        "mobile_phone": values["mobile_phone"] or "",
        "marketing_consent": bool(values["marketing_consent"]),
        "consent_text": str(MARKETING_CONSENT_TEXT),
    }


class OneObjectSchema(AutoSchema):
    """The settings are one object per user, though the router serves them as a list."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


class NotificationSettingsViewSet(ViewSet):
    """The signed-in user's own choices: which notices by e-mail or SMS, phone, offers consent."""

    permission_classes = [HasCustomerAbility]
    required_ability = Ability.VIEW_ACCOUNT
    serializer_class = SettingsSerializer
    schema = OneObjectSchema()

    @classmethod
    def as_view(cls, actions=None, **initkwargs):
        """The collection URL also takes PUT and PATCH (the router only routes GET there)."""
        if actions and actions.get("get") == "list":
            actions = {**actions, "put": "update_settings", "patch": "update_settings"}
        return super().as_view(actions, **initkwargs)

    @extend_schema(summary="The notification settings grid", responses=SettingsSerializer)
    def list(self, request):
        return Response(grid(NotificationSettingsForm(user=request.user)))

    @extend_schema(
        summary="Change the settings (PUT and PATCH both keep what is left out)",
        request=SettingsUpdateSerializer,
        responses=SettingsSerializer,
    )
    def update_settings(self, request):
        payload = SettingsUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        user = request.user
        current = NotificationSettingsForm(user=user)
        data = {name: current.initial.get(name) for name in current.fields}
        for category, channels in payload.validated_data.get("categories", {}).items():
            if category not in Category.values:
                raise ValidationError({"categories": {category: [_unknown()]}})
            for channel, enabled in channels.items():
                data[field_name(category, channel)] = enabled
        for key in ("mobile_phone", "marketing_consent"):
            if key in payload.validated_data:
                data[key] = payload.validated_data[key]
        data = {k: v for k, v in data.items() if v not in (False, None)}
        form = NotificationSettingsForm(data, user=user)
        if not form.is_valid():
            raise ValidationError(_errors(form))
        try:
            consent = save_notification_settings(
                user,
                choices=form.choices(),
                mobile_phone=form.cleaned_data["mobile_phone"],
                marketing_consent=form.cleaned_data["marketing_consent"],
                consent_text=str(MARKETING_CONSENT_TEXT),
                ip_address=audit.client_ip(request._request),
            )
        except DjangoValidationError as error:
            category = (error.params or {}).get("category")
            key = f"categories.{category}" if category else api_settings.NON_FIELD_ERRORS_KEY
            raise ValidationError({key: error.messages}) from error
        if form.has_changed():
            detail = {"change": "notification preferences", "fields": sorted(form.changed_data)}
            if consent is not None:
                detail["consent"] = "given" if consent.given else "withdrawn"
            audit.record(
                AuditEvent.Action.DATA_CHANGED,
                request._request,
                customer=self.membership.customer,
                **detail,
            )
        return Response(grid(NotificationSettingsForm(user=user)))


def _unknown() -> str:
    from django.utils.translation import gettext as _

    return _("Unknown category.")


def _errors(form) -> dict:
    names = {field_name(c, ch): f"categories.{c}.{ch}" for c in Category for ch in Channel}
    errors = {}
    for field, messages in form.errors.get_json_data().items():
        key = api_settings.NON_FIELD_ERRORS_KEY if field == "__all__" else names.get(field, field)
        errors[key] = [m["message"] for m in messages]
    return errors


def register(router) -> None:
    router.register(
        "notification-settings", NotificationSettingsViewSet, basename="notification-settings"
    )
