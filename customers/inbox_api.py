"""The customer REST API for the inbox: messages (shown = delivered, opened = read), unread count."""

from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from .api import UUID_PATTERN, HasCustomerAbility
from .inbox_services import body_html, mark_delivered, mark_read, unread, with_receipt
from .models import Ability, InboxMessage

UUID_REGEX = UUID_PATTERN


class InboxMessageSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    delivered_at = serializers.DateTimeField(read_only=True, allow_null=True)
    read_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = InboxMessage
        fields = ["id", "subject", "published_at", "delivered_at", "read_at"]


class InboxMessageDetailSerializer(InboxMessageSerializer):
    body = serializers.SerializerMethodField()

    class Meta(InboxMessageSerializer.Meta):
        fields = [*InboxMessageSerializer.Meta.fields, "body"]

    def get_body(self, message) -> str:
        """The text as safe HTML (the same whitelist as the page)."""
        return str(body_html(message.body))


class UnreadSerializer(serializers.Serializer):
    unread = serializers.IntegerField()


class MessageFilter(filters.FilterSet):
    unread = filters.BooleanFilter(method="filter_unread")

    class Meta:
        model = InboxMessage
        fields = ["unread"]

    def filter_unread(self, queryset, name, value):
        user = self.request.user
        return unread(queryset, user) if value else queryset.exclude(pk__in=unread(queryset, user))


@extend_schema_view(
    list=extend_schema(summary="Messages to the customer, newest first; listing marks delivered"),
    retrieve=extend_schema(summary="One message; reading it marks it read"),
)
class MessageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [HasCustomerAbility]
    required_ability = Ability.VIEW_ACCOUNT
    lookup_field = "public_id"
    lookup_url_kwarg = "message_id"
    lookup_value_regex = UUID_REGEX
    filterset_class = MessageFilter
    queryset = InboxMessage.objects.none()

    def keeps_receipts(self) -> bool:
        """Staff viewing as the customer leave no receipts."""
        return not getattr(self.membership, "impersonated", False)

    def messages(self):
        return InboxMessage.objects.for_membership(self.membership)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return with_receipt(self.messages(), self.request.user).order_by("-published_at", "-pk")

    def get_serializer_class(self):
        if self.action == "retrieve":
            return InboxMessageDetailSerializer
        if self.action == "unread_count":
            return UnreadSerializer
        if self.action == "read":
            return InboxMessageSerializer
        return InboxMessageSerializer

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        shown = list(page)
        if self.keeps_receipts():
            mark_delivered(shown, request.user)
        return self.get_paginated_response(InboxMessageSerializer(shown, many=True).data)

    def _read(self, message_id) -> InboxMessage:
        message = get_object_or_404(self.messages(), public_id=message_id)
        if self.keeps_receipts():
            mark_read(message, request_user(self))
        return get_object_or_404(self.get_queryset(), pk=message.pk)

    def retrieve(self, request, message_id=None):
        return Response(InboxMessageDetailSerializer(self._read(message_id)).data)

    @extend_schema(summary="Mark a message read", request=None, responses=InboxMessageSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def read(self, request, message_id=None):
        return Response(InboxMessageSerializer(self._read(message_id)).data)

    @extend_schema(summary="How many messages are unread", responses=UnreadSerializer)
    @action(detail=False, methods=["get"], url_path="unread-count", filterset_class=None)
    def unread_count(self, request):
        return Response({"unread": unread(self.messages(), request.user).count()})


def request_user(view):
    return view.request.user


def register(router) -> None:
    router.register("messages", MessageViewSet, basename="message")
