from django.urls import path

from . import views

app_name = "servicedesk"

urlpatterns = [
    path("", views.RequestListView.as_view(), name="requests"),
    path("new/", views.ChooseTypeView.as_view(), name="choose_type"),
    path("new/<slug:slug>/", views.FileRequestView.as_view(), name="file"),
    path("<uuid:request_id>/", views.RequestDetailView.as_view(), name="request"),
    path("<uuid:request_id>/reply/", views.RequestActionView.as_view(action="reply"), name="reply"),
    path(
        "<uuid:request_id>/accept/", views.RequestActionView.as_view(action="accept"), name="accept"
    ),
    path(
        "<uuid:request_id>/reopen/", views.RequestActionView.as_view(action="reopen"), name="reopen"
    ),
    path("<uuid:request_id>/rate/", views.RequestActionView.as_view(action="rate"), name="rate"),
    path(
        "<uuid:request_id>/files/<uuid:attachment_id>/",
        views.AttachmentView.as_view(),
        name="attachment",
    ),
]

# Appointments, cost report and orders (servicedesk/extra_views.py).
from . import extra_views  # noqa: E402

urlpatterns += [
    path("appointments/", extra_views.AppointmentListView.as_view(), name="appointments"),
    path(
        "appointments/<uuid:slot_id>/calendar.ics",
        extra_views.AppointmentCalendarView.as_view(),
        name="appointment_ics",
    ),
    path("orders/", extra_views.OrderListView.as_view(), name="orders"),
    path(
        "<uuid:request_id>/appointment/",
        extra_views.ProposeSlotsView.as_view(),
        name="propose_slots",
    ),
    path(
        "<uuid:request_id>/appointment/<uuid:slot_id>/confirm/",
        extra_views.ConfirmSlotView.as_view(),
        name="confirm_slot",
    ),
    path("<uuid:request_id>/costs.pdf", extra_views.CostReportPdfView.as_view(), name="cost_pdf"),
]
