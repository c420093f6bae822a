from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _


class ActivationForm(forms.Form):
    """Customer number and both parts of the code; a new password when not signed in."""

    customer_number = forms.CharField(label=_("Customer number"), max_length=20)
    part_a = forms.CharField(
        label=_("Code, part A"), max_length=20, help_text=_("From the letter, e.g. K7QF-2M9X.")
    )
    part_b = forms.CharField(
        label=_("Code, part B"), max_length=20, help_text=_("From the e-mail we sent you.")
    )
    password1 = forms.CharField(
        label=_("New password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("New password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, signed_in: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if signed_in:
            del self.fields["password1"], self.fields["password2"]

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
