import uuid

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import DetailView, FormView, ListView, TemplateView

from notifications.services import send_email

from . import audit, impersonation, stepup
from .activation import ActivationError, activate
from .area import menu_for, widgets_for
from .forms import (
    ActivationForm,
    BillingDataForm,
    ConfirmIdentityForm,
    ContactForm,
    EmailChangeForm,
    InvitationForm,
    NewLoginForm,
    QueuedPasswordResetForm,
    SignUpForm,
)
from .gate import CustomerAreaMixin, switch_customer
from .invitations import InvitationError, accept, find_pending, invite
from .middleware import has_confirmed_device
from .models import (
    Ability,
    AuditEvent,
    ChangeRequest,
    Customer,
    Invitation,
    Membership,
    Role,
    ServicePoint,
    User,
    UserSession,
)
from .ratelimit import too_many
from .services import BILLING_FIELDS, end_other_sessions, request_billing_change
from .signup import SignUpError, sign_up, sign_up_available, signup_link_valid
from .signup import confirm as signup_confirm


class AreaFrameMixin(CustomerAreaMixin):
    """The customer area's frame around a page: menu and customer switcher."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["account_menu"] = menu_for(self.membership)
        # The entry a page belongs to: the longest menu address its own address starts with.
        context["account_menu_current"] = max(
            (i.url for i in context["account_menu"] if self.request.path.startswith(i.url)),
            key=len,
            default="",
        )
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
    """The customer's portal users and pending invitations, for its owners to manage."""

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

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["invitations"] = (
            Invitation.objects.visible_to(self.request.user)
            .pending()
            .filter(customer=self.customer)
        )
        context["roles"] = Role.choices
        context["invite_form"] = kwargs.get("invite_form") or InvitationForm(
            membership=self.membership
        )
        return context

    def post(self, request):
        """Invite someone; errors are shown on the same page."""
        self.object_list = self.get_queryset()
        form = InvitationForm(request.POST, membership=self.membership)
        if form.is_valid():
            try:
                invitation = invite(
                    customer=self.customer,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    service_points=list(form.cleaned_data["service_points"]),
                    invited_by=request.user,
                    base_url=f"{request.scheme}://{request.get_host()}",
                )
            except InvitationError as error:
                form.add_error("email", str(error))
            else:
                messages.success(
                    request, _("Invitation sent to %(email)s.") % {"email": invitation.email}
                )
                return HttpResponseRedirect(reverse("customer:members"))
        return self.render_to_response(self.get_context_data(invite_form=form))


class RevokeInvitationView(AreaFrameMixin, View):
    required_ability = Ability.MANAGE_USERS

    def post(self, request, invitation_id):
        invitation = get_object_or_404(
            Invitation.objects.visible_to(request.user).pending().filter(customer=self.customer),
            public_id=invitation_id,
        )
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        messages.success(request, _("The invitation has been withdrawn."))
        return HttpResponseRedirect(reverse("customer:members"))


class AcceptInvitationView(TemplateView):
    """Opened from the invitation e-mail: sign in (or make a login) and join the customer."""

    template_name = "customers/accept_invitation.html"

    def dispatch(self, request, token, *args, **kwargs):
        self.invitation = find_pending(token)
        if self.invitation is None:
            return TemplateResponse(request, "customers/invitation_invalid.html", status=404)
        return super().dispatch(request, token, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["invitation"] = self.invitation
        context["login_exists"] = User.objects.filter(email__iexact=self.invitation.email).exists()
        context.setdefault("form", NewLoginForm())
        return context

    def post(self, request, token):
        user = request.user if request.user.is_authenticated else None
        if user is None:
            if User.objects.filter(email__iexact=self.invitation.email).exists():
                return HttpResponseRedirect(request.path)
            form = NewLoginForm(request.POST)
            if not form.is_valid():
                return self.render_to_response(self.get_context_data(form=form))
            user = User.objects.create_user(self.invitation.email, form.cleaned_data["password1"])
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        try:
            membership = accept(self.invitation, user)
        except InvitationError as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(request.path)
        switch_customer(request, membership.customer.public_id)
        messages.success(
            request,
            _("You now use the portal for %(customer)s.") % {"customer": membership.customer},
        )
        return HttpResponseRedirect(reverse("customer:dashboard"))


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


def _notify_security_change(user, what: str, address: str | None = None) -> None:
    send_email(
        address or user.email,
        "customers/email/security_change",
        {"user": user, "what": what, "when": timezone.localtime()},
    )


class ConfirmIdentityView(LoginRequiredMixin, FormView):
    """Asks for the password (and code) again before a sensitive change."""

    template_name = "customers/confirm_identity.html"
    form_class = ConfirmIdentityForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        stepup.mark(self.request)
        next_url = self.request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(
            next_url,
            allowed_hosts={self.request.get_host()},
            require_https=self.request.is_secure(),
        ):
            next_url = reverse("customer:security")
        return HttpResponseRedirect(next_url)


class PasswordChangeView(stepup.StepUpRequiredMixin, auth_views.PasswordChangeView):
    template_name = "customers/password_change.html"
    success_url = reverse_lazy("customer:security")

    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record(AuditEvent.Action.DATA_CHANGED, self.request, change="password")
        _notify_security_change(self.request.user, _("password"))
        messages.success(self.request, _("Your password has been changed."))
        return response


class EmailChangeView(stepup.StepUpRequiredMixin, LoginRequiredMixin, FormView):
    """A new login address; the old one is told, in case it was not the user."""

    template_name = "customers/email_change.html"
    form_class = EmailChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        user = self.request.user
        old_email = user.email
        user.email = form.cleaned_data["email"]
        user.save(update_fields=["email"])
        audit.record(
            AuditEvent.Action.DATA_CHANGED,
            self.request,
            change="e-mail",
            old=old_email,
            new=user.email,
        )
        _notify_security_change(user, _("login e-mail address"), address=old_email)
        messages.success(self.request, _("Your login e-mail address has been changed."))
        return HttpResponseRedirect(reverse("customer:security"))


class PasswordResetView(auth_views.PasswordResetView):
    """Reset by e-mail; the answer never says whether the address has a login."""

    form_class = QueuedPasswordResetForm
    template_name = "customers/password_reset_form.html"
    email_template_name = "customers/email/password_reset_body.txt"
    subject_template_name = "customers/email/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")
    REQUESTS_PER_HOUR = 5

    def form_valid(self, form):
        if too_many(self.request, "password_reset", self.REQUESTS_PER_HOUR, 3600):
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


class ProfileView(AreaFrameMixin, TemplateView):
    """The customer's data as the company holds it, and changes waiting for approval."""

    template_name = "customers/profile.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["change_requests"] = ChangeRequest.objects.visible_to(self.request.user).filter(
            customer=self.customer
        )[:10]
        context["can_change"] = self.membership.can(Ability.CHANGE_DATA)
        return context


class BillingDataChangeView(stepup.StepUpRequiredMixin, AreaFrameMixin, FormView):
    """Ask for new billing data (incl. the refund account); back office approves it."""

    required_ability = Ability.CHANGE_DATA
    template_name = "customers/billing_data_change.html"
    form_class = BillingDataForm

    def get_form_kwargs(self):
        # A copy: validating a model form writes into its instance.
        copy = Customer.objects.visible_to(self.request.user).get(pk=self.customer.pk)
        return {**super().get_form_kwargs(), "instance": copy}

    def form_valid(self, form):
        new_values = {field: getattr(form.instance, field) for field in BILLING_FIELDS}
        change = request_billing_change(self.customer, self.request.user, new_values)
        if change is None:
            messages.info(self.request, _("Nothing has changed."))
        else:
            messages.success(
                self.request,
                _("Your request has been sent. We will let you know when it is decided."),
            )
        return HttpResponseRedirect(reverse("customer:profile"))


class ContactChangeView(AreaFrameMixin, FormView):
    required_ability = Ability.CHANGE_DATA
    template_name = "customers/contact_change.html"
    form_class = ContactForm

    def get_form_kwargs(self):
        copy = Customer.objects.visible_to(self.request.user).get(pk=self.customer.pk)
        return {**super().get_form_kwargs(), "instance": copy}

    def form_valid(self, form):
        form.save()
        audit.record(
            AuditEvent.Action.DATA_CHANGED,
            self.request,
            customer=self.customer,
            change="contact preferences",
            fields=sorted(form.changed_data),
        )
        messages.success(self.request, _("Your contact preferences have been saved."))
        return HttpResponseRedirect(reverse("customer:profile"))


class StopViewingAsView(LoginRequiredMixin, View):
    """Staff leave "view as customer" and return to the customer's card in the admin."""

    def post(self, request):
        customer_id = request.session.pop(impersonation.SESSION_KEY, None)
        if customer_id is None:
            return HttpResponseRedirect(reverse("wagtailadmin_home"))
        customer = Customer.objects.filter(pk=customer_id).first()
        audit.record(AuditEvent.Action.IMPERSONATION, request, customer=customer, step="stop")
        return HttpResponseRedirect(
            reverse("customers_customer_modeladmin_inspect", args=[customer_id])
        )


class SignUpView(FormView):
    """Households sign up with billing data only the customer has."""

    template_name = "customers/signup.html"
    form_class = SignUpForm
    ATTEMPTS_PER_HOUR = 10

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "available": sign_up_available()}

    def form_valid(self, form):
        if not sign_up_available():
            return self.form_invalid(form)
        if too_many(self.request, "signup", self.ATTEMPTS_PER_HOUR, 3600):
            form.add_error(None, _("Too many attempts from your address. Try again in an hour."))
            return self.form_invalid(form)
        data = form.cleaned_data
        held = sign_up(
            email=data["email"],
            password=data["password1"],
            customer_number=data["customer_number"],
            invoice_number=data["invoice_number"],
            gross_amount=data["gross_amount"],
            base_url=f"{self.request.scheme}://{self.request.get_host()}",
            request=self.request,
        )
        if not held:
            form.add_error(
                None,
                _("We could not confirm these details. Check them against one of your invoices."),
            )
            return self.form_invalid(form)
        return HttpResponseRedirect(reverse("customer:signup_sent"))


class SignUpConfirmView(View):
    """The link from the sign-up e-mail (GET shows a button; POST confirms)."""

    def get(self, request, token):
        if not signup_link_valid(token):
            return TemplateResponse(request, "customers/signup_invalid.html", status=404)
        return TemplateResponse(request, "customers/signup_confirm.html", {"token": token})

    def post(self, request, token):
        try:
            membership = signup_confirm(token)
        except SignUpError:
            return TemplateResponse(request, "customers/signup_invalid.html", status=404)
        login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
        if membership.status == Membership.Status.ACTIVE:
            switch_customer(request, membership.customer.public_id)
            return HttpResponseRedirect(reverse("customer:activation_done"))
        messages.info(
            request,
            _(
                "Your login is ready. The owner of the customer account must approve your access; "
                "we will let you know."
            ),
        )
        return HttpResponseRedirect(reverse("customer:dashboard"))


class DecideMemberView(AreaFrameMixin, View):
    """An owner approves or rejects a user who signed up for the customer."""

    required_ability = Ability.MANAGE_USERS

    def post(self, request, membership_id):
        membership = get_object_or_404(
            Membership.objects.visible_to(request.user).filter(
                customer=self.customer, status=Membership.Status.PENDING
            ),
            public_id=membership_id,
        )
        approve = request.POST.get("decision") == "approve"
        membership.status = Membership.Status.ACTIVE if approve else Membership.Status.REVOKED
        if approve and request.POST.get("role") in Role.values:
            membership.role = request.POST["role"]
        membership.save(update_fields=["status", "role"])
        audit.record(
            AuditEvent.Action.DATA_CHANGED,
            request,
            customer=self.customer,
            obj=membership,
            change="sign-up approved" if approve else "sign-up rejected",
        )
        send_email(
            membership.user.email,
            "customers/email/signup_decided",
            {"membership": membership, "customer": self.customer},
        )
        return HttpResponseRedirect(reverse("customer:members"))
