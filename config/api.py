"""API routers: the customer REST API (`/api/v1/`) and Wagtail's content API (`/api/v2/`).

Rooms register their v1 viewsets on `api_v1_router` from their own `api.py`.
The content API is public by nature and lists only what anyone may see.
"""

import importlib
import importlib.util

from rest_framework.permissions import AllowAny
from rest_framework.routers import DefaultRouter
from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.documents.api.v2.views import DocumentsAPIViewSet
from wagtail.images.api.v2.views import ImagesAPIViewSet
from wagtail.models import CollectionViewRestriction

from customers.api import ServicePointViewSet

api_v1_router = DefaultRouter()
api_v1_router.register("service-points", ServicePointViewSet, basename="service-point")

ROOM_API_MODULES = [
    "customers.api_extra",
    "billing.api",
    "metering.api",
    "servicedesk.api",
    "announcements.api",
    "customers.inbox_api",
    "customers.notification_api",
    "integrations.api",
]
"""Each of these, where it exists, has `register(router)` adding its viewsets."""

for _module_name in ROOM_API_MODULES:
    if importlib.util.find_spec(_module_name) is not None:
        importlib.import_module(_module_name).register(api_v1_router)


class PublicPagesAPIViewSet(PagesAPIViewSet):
    """Live pages without a view restriction (Wagtail filters those itself)."""

    permission_classes = [AllowAny]


class PublicImagesAPIViewSet(ImagesAPIViewSet):
    permission_classes = [AllowAny]


class PublicDocumentsAPIViewSet(DocumentsAPIViewSet):
    """Documents outside every private collection (a restriction covers its subcollections)."""

    permission_classes = [AllowAny]

    def get_queryset(self):
        queryset = super().get_queryset()
        for path in CollectionViewRestriction.objects.values_list("collection__path", flat=True):
            queryset = queryset.exclude(collection__path__startswith=path)
        return queryset


content_api_router = WagtailAPIRouter("wagtailapi")
content_api_router.register_endpoint("pages", PublicPagesAPIViewSet)
content_api_router.register_endpoint("images", PublicImagesAPIViewSet)
content_api_router.register_endpoint("documents", PublicDocumentsAPIViewSet)


def customer_api_endpoints(endpoints):
    """Describe only `/api/v1/` in the OpenAPI schema; Wagtail's APIs document themselves."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]


ERROR_RESPONSES = {
    "400": "The request is not valid; `fields` names what is wrong.",
    "401": "The token is unknown, expired or revoked.",
    "403": "Not signed in, or the role does not allow this.",
    "404": "Not found (also another customer's object).",
    "429": "Too many requests; see Retry-After.",
}


def document_errors(result, generator, request, public):
    """Every operation may answer with the one error shape; say so in the schema."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "fields"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "fields": {
                        "type": "object",
                        "additionalProperties": {"type": "array", "items": {}},
                    },
                },
            }
        },
    }
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status, description in ERROR_RESPONSES.items():
                operation["responses"].setdefault(
                    status,
                    {
                        "description": description,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    },
                )
    return result
