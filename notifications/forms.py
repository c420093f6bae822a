"""What a person chooses to receive: a grid of categories and channels, a mobile phone
for text messages, and the marketing consent."""

from dataclasses import dataclass

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from .models import ALWAYS_ON, AT_LEAST_ONE_CHANNEL, DEFAULT_CHANNELS, Category, Channel
from .services import channel_choices, has_consent

MARKETING_CONSENT_TEXT = _(
    "I agree to receive offers of the company's products and services by the channels I "
    "ticked for offers. I can withdraw this consent at any time on this page; withdrawing "
    "it does not affect what was sent before."
)
"""The text a person agrees to; each Consent row keeps the wording they saw."""


def field_name(category: str, channel: str) -> str:
    return f"{category}__{channel}"


@dataclass
class GridRow:
    category: str
    label: str
    fields: list  # bound fields, one per channel, in Channel order
    always_on: bool
    needs_a_channel: bool

    @property
    def errors(self) -> list[str]:
        return [error for field in self.fields for error in field.errors]


class NotificationSettingsForm(forms.Form):
    """The notifications page of one user; `choices()` gives what `set_preferences` takes."""

    marketing_consent = forms.BooleanField(label=MARKETING_CONSENT_TEXT, required=False)
    channel_labels = [label for _value, label in Channel.choices]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        model_field = get_user_model()._meta.get_field("mobile_phone")
        phone = model_field.formfield(required=False)
        # A form field does not run the model field's own validators; the phone check is one.
        phone.validators += [
            v for v in model_field.validators if not isinstance(v, MaxLengthValidator)
        ]
        phone.widget.attrs.update(autocomplete="tel", inputmode="tel")
        self.fields["mobile_phone"] = phone
        self.initial.setdefault("mobile_phone", user.mobile_phone)
        self.initial.setdefault("marketing_consent", has_consent(user))
        choices = channel_choices(user)
        for category in Category:
            chosen = choices[category]
            for channel in Channel:
                name = field_name(category, channel)
                field = forms.BooleanField(
                    label=f"{category.label}: {channel.label}", required=False
                )
                if category in ALWAYS_ON:
                    field.disabled = True
                    self.initial[name] = channel in DEFAULT_CHANNELS[category]
                else:
                    # Without a phone no SMS goes out, whatever the defaults say.
                    self.initial.setdefault(
                        name,
                        channel in chosen and (channel != Channel.SMS or bool(user.mobile_phone)),
                    )
                self.fields[name] = field
        self.order_fields(
            [field_name(c, ch) for c in Category for ch in Channel]
            + ["mobile_phone", "marketing_consent"]
        )

    def rows(self) -> list[GridRow]:
        return [
            GridRow(
                category=category,
                label=category.label,
                fields=[self[field_name(category, channel)] for channel in Channel],
                always_on=category in ALWAYS_ON,
                needs_a_channel=category in AT_LEAST_ONE_CHANNEL,
            )
            for category in Category
        ]

    def clean(self):
        cleaned = super().clean()
        sms_wanted = any(
            cleaned.get(field_name(category, Channel.SMS))
            for category in Category
            if category not in ALWAYS_ON
        )
        if sms_wanted and not cleaned.get("mobile_phone") and "mobile_phone" not in self.errors:
            self.add_error(
                "mobile_phone",
                _("Give a mobile phone number to receive text messages, or untick the SMS boxes."),
            )
        offers_by = [
            channel for channel in Channel if cleaned.get(field_name(Category.MARKETING, channel))
        ]
        if cleaned.get("marketing_consent") and not offers_by:
            self.add_error(
                "marketing_consent",
                _(
                    "Tick how we may send you offers (e-mail or SMS), or leave the consent unticked."
                ),
            )
        return cleaned

    def choices(self) -> dict[tuple[str, str], bool]:
        return {
            (category.value, channel.value): bool(
                self.cleaned_data.get(field_name(category, channel))
            )
            for category in Category
            for channel in Channel
        }

    def add_category_error(self, category: str, message: str) -> None:
        """Show a refusal of the service (a category silenced) on that category's row."""
        self.add_error(field_name(category, Channel.EMAIL), message)
