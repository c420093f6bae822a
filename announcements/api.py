"""The customer REST API for announcements: those meant for the active customer."""

from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from customers.api import HasCustomerAbility
from customers.models import Ability

from .models import AnnouncementPage, Severity


class AnnouncementSerializer(serializers.ModelSerializer):
    text = serializers.SerializerMethodField()
    current = serializers.SerializerMethodField()

    class Meta:
        model = AnnouncementPage
        fields = ["id", "title", "severity", "pinned", "valid_from", "valid_to", "current", "text"]

    def get_text(self, page) -> str:
        """The body as plain text."""
        return page.plain_text()

    def get_current(self, page) -> bool:
        return page.is_current()


class AnnouncementFilter(filters.FilterSet):
    current = filters.BooleanFilter(method="filter_current")
    severity = filters.ChoiceFilter(choices=Severity.choices)

    class Meta:
        model = AnnouncementPage
        fields = ["current", "severity"]

    def filter_current(self, queryset, name, value):
        now = timezone.now()
        return queryset.current(now) if value else queryset.ended(now)


@extend_schema_view(
    list=extend_schema(summary="Announcements meant for the customer: current first, then past")
)
class AnnouncementViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = AnnouncementSerializer
    permission_classes = [HasCustomerAbility]
    required_ability = Ability.VIEW_ACCOUNT
    filterset_class = AnnouncementFilter
    queryset = AnnouncementPage.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return (
            AnnouncementPage.objects.live()
            .for_membership(self.membership)
            .started(timezone.now())
            .in_display_order()
        )


def register(router) -> None:
    router.register("announcements", AnnouncementViewSet, basename="announcement")
