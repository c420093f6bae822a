"""The user's personal access tokens for the API: list, create (shown once), revoke."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView, ListView

from . import audit, stepup
from .middleware import has_confirmed_device
from .models import AuditEvent, PersonalAccessToken

EXPIRY_CHOICES = [
    (30, gettext_lazy("30 days")),
    (90, gettext_lazy("90 days")),
    (365, gettext_lazy("one year")),
]


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("Where you use it, e.g. “home accounting”."),
    )
    scope = forms.ChoiceField(
        label=gettext_lazy("Access"),
        choices=PersonalAccessToken.Scope.choices,
        initial=PersonalAccessToken.Scope.READ,
        widget=forms.RadioSelect,
    )
    expires_in = forms.TypedChoiceField(
        label=gettext_lazy("Valid for"), choices=EXPIRY_CHOICES, coerce=int, initial=90
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(gettext_lazy("Give the token a name."))
        return name


class TokenListView(LoginRequiredMixin, ListView):
    template_name = "customers/tokens/token_list.html"
    context_object_name = "tokens"

    def get_queryset(self):
        return PersonalAccessToken.objects.filter(user=self.request.user)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "now": timezone.now()}


class TokenCreateView(stepup.StepUpRequiredMixin, LoginRequiredMixin, FormView):
    """A new token after a step-up (and the second factor, when the user has one).

    The secret is on the answer to this POST only: it is stored hashed, never again shown.
    """

    template_name = "customers/tokens/token_form.html"
    form_class = TokenForm

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and has_confirmed_device(user) and not user.is_verified():
            messages.error(request, _("Sign in with your second factor to create a token."))
            return HttpResponseRedirect(reverse("customer:tokens"))
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        token, raw = PersonalAccessToken.issue(
            user=self.request.user,
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            expires_at=timezone.now() + timedelta(days=form.cleaned_data["expires_in"]),
        )
        audit.record(
            AuditEvent.Action.DATA_CHANGED,
            self.request,
            obj=token,
            change="API token created",
            scope=token.scope,
        )
        response = TemplateResponse(
            self.request, "customers/tokens/token_created.html", {"token": token, "raw": raw}
        )
        response["Cache-Control"] = "private, no-store"
        return response


class TokenRevokeView(LoginRequiredMixin, View):
    """Revoke one of the user's own tokens; someone else's is simply not found."""

    def post(self, request):
        try:
            token_pk = int(request.POST.get("token", ""))
        except ValueError:
            token_pk = None
        token = get_object_or_404(
            PersonalAccessToken.objects.filter(user=request.user, revoked_at__isnull=True),
            pk=token_pk,
        )
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(AuditEvent.Action.DATA_CHANGED, request, obj=token, change="API token revoked")
        messages.success(request, _("The token has been revoked."))
        return HttpResponseRedirect(reverse("customer:tokens"))
