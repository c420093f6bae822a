from django.urls import path
from django.views.generic import TemplateView

from . import contract_views, inbox_views, notification_urls, privacy_views, token_views, views

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
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("contracts/", contract_views.ContractListView.as_view(), name="contracts"),
    path(
        "contracts/<uuid:contract_id>/",
        contract_views.ContractDetailView.as_view(),
        name="contract",
    ),
    path(
        "contracts/documents/<uuid:document_id>/",
        contract_views.ContractDocumentView.as_view(),
        name="contract_document",
    ),
    path(
        "contracts/documents/<uuid:document_id>/accept/",
        contract_views.AcceptTermsView.as_view(),
        name="accept_terms",
    ),
    path("profile/billing/", views.BillingDataChangeView.as_view(), name="billing_data_change"),
    path("profile/contact/", views.ContactChangeView.as_view(), name="contact_change"),
    path(
        "users/<uuid:membership_id>/revoke/",
        views.RevokeMemberView.as_view(),
        name="revoke_member",
    ),
    path(
        "users/invitations/<uuid:invitation_id>/revoke/",
        views.RevokeInvitationView.as_view(),
        name="revoke_invitation",
    ),
    path(
        "invitation/<str:token>/",
        views.AcceptInvitationView.as_view(),
        name="accept_invitation",
    ),
    path("activate/", views.ActivateView.as_view(), name="activate"),
    path("sign-up/", views.SignUpView.as_view(), name="signup"),
    path(
        "sign-up/sent/",
        TemplateView.as_view(template_name="customers/signup_sent.html"),
        name="signup_sent",
    ),
    path("sign-up/confirm/<str:token>/", views.SignUpConfirmView.as_view(), name="signup_confirm"),
    path(
        "users/<uuid:membership_id>/decide/",
        views.DecideMemberView.as_view(),
        name="decide_member",
    ),
    path("view-as/stop/", views.StopViewingAsView.as_view(), name="stop_viewing_as"),
    path("activate/done/", views.ActivationDoneView.as_view(), name="activation_done"),
    path("security/", views.SecurityView.as_view(), name="security"),
    path("security/confirm/", views.ConfirmIdentityView.as_view(), name="confirm_identity"),
    path("security/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("security/email/", views.EmailChangeView.as_view(), name="email_change"),
    path(
        "security/end-other-sessions/",
        views.EndOtherSessionsView.as_view(),
        name="end_other_sessions",
    ),
    path("tokens/", token_views.TokenListView.as_view(), name="tokens"),
    path("tokens/new/", token_views.TokenCreateView.as_view(), name="token_create"),
    path("tokens/revoke/", token_views.TokenRevokeView.as_view(), name="token_revoke"),
    path("privacy/", privacy_views.PrivacyView.as_view(), name="privacy"),
    path("privacy/export/", privacy_views.PersonalDataExportView.as_view(), name="privacy_export"),
    path("privacy/close/", privacy_views.CloseAccountView.as_view(), name="close_account"),
    path("messages/", inbox_views.InboxView.as_view(), name="messages"),
    path("messages/<uuid:message_id>/", inbox_views.MessageView.as_view(), name="message"),
    path(
        "messages/<uuid:message_id>/reply/",
        inbox_views.MessageReplyView.as_view(),
        name="message_reply",
    ),
    path(
        "messages/<uuid:message_id>/files/<uuid:message_attachment_id>/",
        inbox_views.MessageAttachmentView.as_view(),
        name="message_attachment",
    ),
]

urlpatterns += notification_urls.urlpatterns
