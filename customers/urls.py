from django.urls import path

from . import views

app_name = "customer"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("switch/", views.SwitchCustomerView.as_view(), name="switch"),
    path("service-points/", views.ServicePointListView.as_view(), name="service_points"),
    path(
        "service-points/<uuid:service_point_id>/",
        views.ServicePointDetailView.as_view(),
        name="service_point",
    ),
    path("users/", views.MemberListView.as_view(), name="members"),
    path(
        "users/<uuid:membership_id>/revoke/",
        views.RevokeMemberView.as_view(),
        name="revoke_member",
    ),
    path("activate/", views.ActivateView.as_view(), name="activate"),
    path("activate/done/", views.ActivationDoneView.as_view(), name="activation_done"),
    path("security/", views.SecurityView.as_view(), name="security"),
    path(
        "security/end-other-sessions/",
        views.EndOtherSessionsView.as_view(),
        name="end_other_sessions",
    ),
]
