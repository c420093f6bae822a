from pathlib import PurePath

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from documents.uploads import check_upload

from .models import Meter
from .services import field_name

MAX_PHOTO_BYTES = 8 * 1024 * 1024
PHOTO_FORMATS = {"JPEG": ".jpg", "PNG": ".png"}


class ReadingForm(forms.Form):
    """One value per register of the meter, the day it was read, and a photo if the customer likes."""

    read_on = forms.DateField(
        label=_("Read on"),
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date as YYYY-MM-DD, e.g. 2026-01-31.")},
    )
    photo = forms.ImageField(
        label=_("Photo of the meter's display"),
        required=False,
        help_text=_("Optional: JPEG or PNG, up to 8 MB. It helps us if the value looks unusual."),
    )

    def __init__(self, *args, meter: Meter, **kwargs):
        super().__init__(*args, **kwargs)
        self.meter = meter
        self.registers = list(meter.registers.all())
        for register in self.registers:
            label = _("Reading") if len(self.registers) == 1 else register.name
            self.fields[field_name(register)] = forms.DecimalField(
                label=f"{label} ({meter.get_unit_display()})",
                min_value=0,
                localize=True,
                help_text=pgettext_lazy(
                    "meter digits", "%(digits)s digits, %(decimals)s after the comma"
                )
                % {"digits": meter.digits, "decimals": meter.decimals},
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
                error_messages={
                    "required": _("Enter the value shown on the meter."),
                    "invalid": _("Enter a number, e.g. 12345 or 12345,6."),
                },
            )
        self.order_fields([field_name(r) for r in self.registers] + ["read_on", "photo"])

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if not photo:
            return None
        if photo.size > MAX_PHOTO_BYTES:
            raise forms.ValidationError(_("The photo is larger than 8 MB."))
        if getattr(photo, "image", None) is None or photo.image.format not in PHOTO_FORMATS:
            raise forms.ValidationError(_("Send a photo as a JPEG or PNG file."))
        # Named for what it is (phones name files oddly), then the checks every upload
        # passes: no page hidden in the picture, and the virus scan when there is one.
        photo.name = PurePath(photo.name).stem + PHOTO_FORMATS[photo.image.format]
        check_upload(photo)
        return photo

    def values(self) -> dict:
        return {register: self.cleaned_data[field_name(register)] for register in self.registers}
