"""Customer-area routes of notification preferences and shipments."""

from django.urls import path

from . import notification_views

urlpatterns = [
    path(
        "notifications/",
        notification_views.NotificationSettingsView.as_view(),
        name="notifications",
    ),
    path("shipments/", notification_views.ShipmentListView.as_view(), name="shipments"),
]
