"""The user's privacy page: download their personal data, close their portal login.

These pages belong to the login, not to a customer: a user without customers uses them
too, so they ask for a login only (see customers.privacy for what they do).
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import FormView, TemplateView
from django_otp import match_token, user_has_device

from . import audit
from .models import AuditEvent, Membership
from .privacy import build_personal_data_zip, close_portal_account, customers_blocking_closure
from .ratelimit import too_many


class CloseAccountForm(forms.Form):
    """The current password, and a current code when the user has a second factor."""

    password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    otp_token = forms.CharField(
        label=_("Code from your authenticator app"),
        help_text=_("The current six-digit code, or one of your backup codes."),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if not user_has_device(user, confirmed=True):
            del self.fields["otp_token"]

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(
                _("The current password is not correct."), code="wrong_password"
            )
        return password

    def clean_otp_token(self):
        token = self.cleaned_data["otp_token"].strip().replace(" ", "")
        if match_token(self.user, token) is None:
            raise forms.ValidationError(
                _("The code from your authenticator app is not correct or has expired."),
                code="wrong_token",
            )
        return token


class PrivacyView(LoginRequiredMixin, TemplateView):
    """Both privacy tools on one page."""

    template_name = "customers/privacy.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["has_customers"] = (
            Membership.objects.active().filter(user=self.request.user).exists()
        )
        context["blocking_customers"] = customers_blocking_closure(self.request.user)
        return context


class PersonalDataExportView(LoginRequiredMixin, View):
    """The user's personal data as a ZIP download, built in memory."""

    def get(self, request):
        return HttpResponseRedirect(reverse("customer:privacy"))

    def post(self, request):
        content = build_personal_data_zip(request.user)
        audit.record(AuditEvent.Action.DOWNLOAD, request, file="personal data export")
        filename = f"okienko-personal-data-{timezone.localdate():%Y-%m-%d}.zip"
        response = HttpResponse(content, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "private, no-store"
        return response


class CloseAccountView(LoginRequiredMixin, FormView):
    """Close the portal login after the password (and second factor) is confirmed."""

    template_name = "customers/close_account.html"
    form_class = CloseAccountForm
    ATTEMPTS_PER_HOUR = 10

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["blocking_customers"] = customers_blocking_closure(self.request.user)
        return context

    def post(self, request, *args, **kwargs):
        if customers_blocking_closure(request.user):
            return self.render_to_response(self.get_context_data(), status=409)
        if too_many(request, "close_account", self.ATTEMPTS_PER_HOUR, 3600):
            # An unbound form: the guess is not even checked.
            form = self.get_form_class()(user=request.user)
            form.add_error(None, gettext("Too many attempts. Try again in an hour."))
            return self.form_invalid(form)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        close_portal_account(self.request)
        messages.success(
            self.request,
            gettext("Your portal account has been closed. Thank you for using the portal."),
        )
        return HttpResponseRedirect("/")
