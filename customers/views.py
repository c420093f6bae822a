import uuid

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import DetailView, FormView, ListView, TemplateView

from . import audit
from .activation import ActivationError, activate
from .area import menu_for, widgets_for
from .forms import ActivationForm
from .gate import CustomerAreaMixin, switch_customer
from .middleware import has_confirmed_device
from .models import Ability, AuditEvent, Membership, Role, ServicePoint, UserSession
from .ratelimit import too_many
from .services import end_other_sessions


class AreaFrameMixin(CustomerAreaMixin):
    """The customer area's frame around a page: menu and customer switcher."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["account_menu"] = menu_for(self.membership)
        return context


class DashboardView(AreaFrameMixin, TemplateView):
    template_name = "customers/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["widgets"] = widgets_for(self.request, self.membership)
        return context


class SwitchCustomerView(LoginRequiredMixin, View):
    """Choose which of the user's customers the portal shows; remembered between visits."""

    def post(self, request):
        try:
            public_id = uuid.UUID(request.POST.get("customer", ""))
        except ValueError as error:
            raise Http404 from error
        membership = switch_customer(request, public_id)
        if membership is None:
            raise Http404
        messages.success(
            request, _("You are now working for %(customer)s.") % {"customer": membership.customer}
        )
        next_url = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = reverse("customer:dashboard")
        return HttpResponseRedirect(next_url)


class ServicePointListView(AreaFrameMixin, ListView):
    template_name = "customers/service_point_list.html"
    context_object_name = "service_points"

    def get_queryset(self):
        return ServicePoint.objects.for_membership(self.membership)


class ServicePointDetailView(AreaFrameMixin, DetailView):
    template_name = "customers/service_point_detail.html"
    context_object_name = "service_point"

    def get_object(self, queryset=None):
        return get_object_or_404(
            ServicePoint.objects.for_membership(self.membership),
            public_id=self.kwargs["service_point_id"],
        )


class MemberListView(AreaFrameMixin, ListView):
    """The customer's portal users, for its owners to manage."""

    required_ability = Ability.MANAGE_USERS
    template_name = "customers/member_list.html"
    context_object_name = "members"

    def get_queryset(self):
        return (
            Membership.objects.visible_to(self.request.user)
            .filter(customer=self.customer)
            .exclude(status=Membership.Status.REVOKED)
            .select_related("user")
            .prefetch_related("service_points")
        )


class RevokeMemberView(AreaFrameMixin, View):
    required_ability = Ability.MANAGE_USERS

    def post(self, request, membership_id):
        membership = get_object_or_404(
            Membership.objects.visible_to(request.user).filter(customer=self.customer),
            public_id=membership_id,
        )
        if membership.user_id == request.user.pk:
            messages.error(request, _("You cannot remove your own access."))
        elif (
            membership.role == Role.OWNER
            and not Membership.objects.active()
            .filter(customer=self.customer, role=Role.OWNER)
            .exclude(pk=membership.pk)
            .exists()
        ):
            messages.error(request, _("The customer must keep at least one owner."))
        else:
            membership.status = Membership.Status.REVOKED
            membership.save(update_fields=["status"])
            audit.record(
                AuditEvent.Action.MEMBER_REVOKED, request, customer=self.customer, obj=membership
            )
            messages.success(
                request, _("Access of %(user)s has been removed.") % {"user": membership.user}
            )
        return HttpResponseRedirect(reverse("customer:members"))


class SecurityView(LoginRequiredMixin, TemplateView):
    """The user's own security page: second factor, sign-in history and open sessions."""

    template_name = "customers/security.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["login_history"] = AuditEvent.objects.logins_of(user)[:20]
        context["sessions"] = UserSession.objects.filter(user=user)
        context["current_session_key"] = self.request.session.session_key
        context["has_two_factor"] = user.is_verified() or has_confirmed_device(user)
        return context


class EndOtherSessionsView(LoginRequiredMixin, View):
    """Sign the user out of every browser but this one."""

    def post(self, request):
        ended = end_other_sessions(request.user, keep=request.session.session_key)
        audit.record(AuditEvent.Action.SESSIONS_ENDED, request, count=ended)
        messages.success(
            request,
            ngettext(
                "%(count)d other session has been signed out.",
                "%(count)d other sessions have been signed out.",
                ended,
            )
            % {"count": ended},
        )
        return HttpResponseRedirect(reverse("customer:security"))


class ActivateView(FormView):
    """Activation with the customer number and both parts of the code."""

    template_name = "customers/activate.html"
    form_class = ActivationForm
    ATTEMPTS_PER_HOUR = 20

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "signed_in": self.request.user.is_authenticated}

    def form_valid(self, form):
        if too_many(self.request, "activation", self.ATTEMPTS_PER_HOUR, 3600):
            form.add_error(None, _("Too many attempts from your address. Try again in an hour."))
            return self.form_invalid(form)
        data = form.cleaned_data
        signed_in = self.request.user.is_authenticated
        try:
            membership = activate(
                customer_number=data["customer_number"],
                part_a=data["part_a"],
                part_b=data["part_b"],
                user=self.request.user if signed_in else None,
                password=data.get("password1", ""),
            )
        except ActivationError as error:
            audit.record(
                AuditEvent.Action.ACTIVATION_FAILED,
                self.request,
                customer_number=data["customer_number"][:20],
            )
            form.add_error(None, str(error))
            return self.form_invalid(form)
        if not signed_in:
            login(
                self.request, membership.user, backend="django.contrib.auth.backends.ModelBackend"
            )
        switch_customer(self.request, membership.customer.public_id)
        audit.record(
            AuditEvent.Action.ACTIVATED, self.request, customer=membership.customer, obj=membership
        )
        return HttpResponseRedirect(reverse("customer:activation_done"))


class ActivationDoneView(LoginRequiredMixin, TemplateView):
    """Access is active: the user is offered a second factor before going on."""

    template_name = "customers/activation_done.html"
