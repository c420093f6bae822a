"""The public forms built in the admin (Wagtail's form builder), with a honeypot against bots."""

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.forms.forms import BaseForm, FormBuilder

HONEYPOT_FIELD = "contact_homepage_url"
"""A field people never see; a bot that fills every input fills it too."""


class PublicForm(BaseForm):
    """A form page's form: the editor's fields and a honeypot that must stay empty."""

    honeypot_name = HONEYPOT_FIELD

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.pop(HONEYPOT_FIELD, ""):
            raise forms.ValidationError(
                _("We could not accept the form. Leave the field marked “leave empty” blank."),
                code="honeypot",
            )
        return cleaned_data

    @property
    def honeypot(self) -> forms.BoundField:
        return self[HONEYPOT_FIELD]

    @property
    def answer_fields(self) -> list[forms.BoundField]:
        """The fields the editor made, in their order, without the honeypot."""
        return [field for field in self if field.name != HONEYPOT_FIELD]


class PublicFormBuilder(FormBuilder):
    @property
    def formfields(self):
        formfields = super().formfields
        formfields.setdefault(
            HONEYPOT_FIELD,
            forms.CharField(
                label=_("Leave empty"),
                required=False,
                widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
            ),
        )
        return formfields

    def get_form_class(self):
        return type("PublicForm", (PublicForm,), self.formfields)
