from django.urls import path

from . import views

app_name = "metering"

urlpatterns = [
    path("", views.MeterListView.as_view(), name="meters"),
    path("<uuid:meter_id>/", views.MeterDetailView.as_view(), name="meter"),
    path("<uuid:meter_id>/reading/", views.SubmitReadingView.as_view(), name="submit"),
    path(
        "consumption/<uuid:service_point_id>/",
        views.ConsumptionView.as_view(),
        name="consumption",
    ),
    path(
        "consumption/<uuid:service_point_id>/csv/",
        views.ConsumptionExportView.as_view(),
        name="export",
    ),
    path("readings/<uuid:reading_id>/photo/", views.ReadingPhotoView.as_view(), name="photo"),
]
