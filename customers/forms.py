import uuid

from django import forms
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from .models import Customer, Role, ServicePoint
from .services import BILLING_FIELDS, CONTACT_FIELDS


class NewPasswordForm(forms.Form):
    """A new password, typed twice, checked against the password rules."""

    password1 = forms.CharField(
        label=_("New password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("New password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_password1(self):
        password = self.cleaned_data["password1"]
        validate_password(password)
        return password

    def clean(self):
        cleaned = super().clean()
        if (
            "password1" in self.fields
            and cleaned.get("password1")
            and cleaned.get("password1") != cleaned.get("password2")
        ):
            self.add_error("password2", _("The two passwords differ."))
        return cleaned


class ActivationForm(NewPasswordForm):
    """Customer number and both parts of the code; a new password when not signed in."""

    field_order = ["customer_number", "part_a", "part_b", "password1", "password2"]

    customer_number = forms.CharField(label=_("Customer number"), max_length=20)
    part_a = forms.CharField(
        label=_("Code, part A"), max_length=20, help_text=_("From the letter, e.g. K7QF-2M9X.")
    )
    part_b = forms.CharField(
        label=_("Code, part B"), max_length=20, help_text=_("From the e-mail we sent you.")
    )

    def __init__(self, *args, signed_in: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if signed_in:
            del self.fields["password1"], self.fields["password2"]


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.READ_ONLY)
    service_points = forms.ModelMultipleChoiceField(
        label=_("Service points"),
        queryset=ServicePoint.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked for every service point."),
    )

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service_points"].queryset = ServicePoint.objects.for_membership(membership)


class NewLoginForm(NewPasswordForm):
    """A password for a login made from an invitation (the e-mail is the invited one)."""


class ConfirmIdentityForm(forms.Form):
    """The current password, and a code when the user has a second factor."""

    password = forms.CharField(
        label=_("Current password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    otp_token = forms.CharField(
        label=_("Code from your authenticator app"), max_length=8, required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        from two_factor.utils import default_device

        self.device = default_device(user)
        if self.device is None:
            del self.fields["otp_token"]
        else:
            self.fields["otp_token"].required = True

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("The password is not correct."))
        return password

    def clean_otp_token(self):
        token = self.cleaned_data["otp_token"].strip()
        if self.device is not None and not self.device.verify_token(token):
            raise forms.ValidationError(_("The code is not correct or has expired."))
        return token


class EmailChangeForm(forms.Form):
    email = forms.EmailField(label=_("New e-mail address"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_email(self):
        from .models import User

        email = self.cleaned_data["email"].strip().lower()
        if email == self.user.email:
            raise forms.ValidationError(_("This is your current address."))
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("Another login uses this address."))
        return email


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, its e-mail written to the outbox instead of sent inside the request.

    Like Django's, it answers the same whether or not the address has a login.
    """

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        from django.template.loader import render_to_string

        from notifications.models import Category, Channel
        from notifications.services import queue

        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        queue(
            key=f"password-reset:{uuid.uuid4()}",
            channel=Channel.EMAIL,
            category=Category.ACCOUNT,
            to=to_email,
            subject=subject,
            body=body,
        )


class BillingDataForm(forms.ModelForm):
    """Billing data as the customer wants it; saved only as a change request."""

    class Meta:
        model = Customer
        fields = BILLING_FIELDS


class ContactForm(forms.ModelForm):
    """Contact preferences, applied at once."""

    class Meta:
        model = Customer
        fields = CONTACT_FIELDS


class SignUpForm(NewPasswordForm):
    """Sign-up proven by the customer number and one invoice's number and gross amount."""

    field_order = [
        "email",
        "password1",
        "password2",
        "customer_number",
        "invoice_number",
        "gross_amount",
    ]

    email = forms.EmailField(label=_("E-mail address"))
    customer_number = forms.CharField(label=_("Customer number"), max_length=20)
    invoice_number = forms.CharField(
        label=_("Number of any of your invoices"),
        max_length=40,
        help_text=_("As printed on the invoice, e.g. FV/2026/10/000123."),
    )
    gross_amount = forms.DecimalField(
        label=_("Gross amount of that invoice (PLN)"),
        max_digits=12,
        decimal_places=2,
        localize=True,
    )
