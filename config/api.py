"""API routers: the customer REST API (`/api/v1/`) and Wagtail's content API (`/api/v2/`).

Rooms register their v1 viewsets on `api_v1_router` from their own `api.py`.
The content API is public by nature and lists only what anyone may see.
"""

from rest_framework.permissions import AllowAny
from rest_framework.routers import DefaultRouter
from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.documents.api.v2.views import DocumentsAPIViewSet
from wagtail.images.api.v2.views import ImagesAPIViewSet
from wagtail.models import CollectionViewRestriction

import importlib
import importlib.util

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
