from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from two_factor.urls import urlpatterns as two_factor_urls
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from billing import payment_views as billing_payment_views
from customers import api as customer_api
from customers import views as customer_views
from home import page_cache
from home import views as home_views

from .api import api_v1_router, content_api_router
from .views import healthz, security_txt

api_v1_patterns = [
    path("me/", customer_api.MeView.as_view(), name="me"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-v1:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-v1:schema"), name="redoc"),
    path("", include(api_v1_router.urls)),
]

urlpatterns = [
    # One door in: the admin signs in through the two-factor login too.
    path("admin/login/", RedirectView.as_view(url="/account/login/", query_string=True)),
    # Wagtail's own login (for private pages) would be a second way in, past the portal's
    # sign-in with its second factor, lockout and audit: it forwards there too.
    path("_util/login/", RedirectView.as_view(url="/account/login/", query_string=True)),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v1/", include((api_v1_patterns, "api-v1"))),
    path("api/v2/", content_api_router.urls),
    path("i18n/setlang/", page_cache.set_language, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("", include(two_factor_urls)),
    path("account/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "account/password-reset/", customer_views.PasswordResetView.as_view(), name="password_reset"
    ),
    path(
        "account/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="customers/password_reset_done.html"
        ),
        name="password_reset_done",
    ),
    path(
        "account/password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="customers/password_reset_confirm.html",
            success_url="/account/password-reset/complete/",
        ),
        name="password_reset_confirm",
    ),
    path(
        "account/password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="customers/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("account/billing/", include("billing.urls")),
    path("account/meters/", include("metering.urls")),
    path("account/requests/", include("servicedesk.urls")),
    path("account/announcements/", include("announcements.urls")),
    path(
        "payments/notify/<slug:provider>/",
        billing_payment_views.payment_notification,
        name="payment_notification",
    ),
    path(
        "payments/sandbox/<uuid:payment_id>/",
        billing_payment_views.SandboxPaymentPage.as_view(),
        name="sandbox_payment_page",
    ),
    path("account/", include("customers.urls")),
    path("search/", home_views.search, name="search"),
    path("healthz/", healthz, name="healthz"),
    path(".well-known/security.txt", security_txt, name="security_txt"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns.append(path("", include(wagtail_urls)))
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
