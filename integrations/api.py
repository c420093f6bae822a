"""The staff-token import endpoint: `POST /api/v1/imports/`, `GET /api/v1/imports/<id>/`."""

from django.utils.translation import gettext_lazy as _
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from customers.api import UUID_PATTERN

from .importer import KINDS
from .models import ImportRun


class MayImport(BasePermission):
    """Staff with the permission to add imports (a personal access token or a session)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and user.is_staff
            and user.has_perm("integrations.add_importrun")
        )


class ImportRunSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    kind = serializers.ChoiceField(choices=[(k, k) for k in KINDS])
    file = serializers.FileField(
        write_only=True, help_text=_("CSV or JSON Lines, UTF-8; or a ZIP with it and the PDFs")
    )
    partial = serializers.BooleanField(default=False)
    started_by = serializers.StringRelatedField(read_only=True)
    rows_done = serializers.IntegerField(source="rows_read", read_only=True)

    class Meta:
        model = ImportRun
        fields = [
            "id",
            "kind",
            "file",
            "file_name",
            "partial",
            "status",
            "started_by",
            "created_at",
            "finished_at",
            "rows_done",
            "created",
            "updated",
            "unchanged",
            "errors",
        ]
        read_only_fields = [
            "file_name",
            "status",
            "created_at",
            "finished_at",
            "rows_done",
            "created",
            "updated",
            "unchanged",
            "errors",
        ]


class ImportRunViewSet(mixins.CreateModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Queue an import of an ERP file (202 with the run's id) and read its report."""

    serializer_class = ImportRunSerializer
    permission_classes = [MayImport]
    parser_classes = [MultiPartParser, FormParser]
    lookup_field = "public_id"
    lookup_url_kwarg = "import_id"
    lookup_value_regex = UUID_PATTERN
    queryset = ImportRun.objects.select_related("started_by")

    def create(self, request, *args, **kwargs):
        from .admin_views import start_import

        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        run = start_import(
            kind=serializer.validated_data["kind"],
            upload=serializer.validated_data["file"],
            partial=serializer.validated_data["partial"],
            user=request.user,
        )
        return Response(self.get_serializer(run).data, status=status.HTTP_202_ACCEPTED)


def register(router) -> None:
    router.register("imports", ImportRunViewSet, basename="import")
