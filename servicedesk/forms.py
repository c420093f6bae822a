"""The customer's forms: a request built from its type's fields, replies, reopen and rating."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from customers.models import ServicePoint
from documents.uploads import MAX_FILES, check_upload, check_uploads

from .models import CatalogueItem, FormField, RequestType

K = FormField.Kind


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by `check_upload`."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        # check_uploads refuses an empty file naming it; Django's own message would not say which.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        files = [super(MultipleFileField, self).clean(f, initial) for f in files if f]
        if self.required and not files:
            raise ValidationError(self.error_messages["required"], code="required")
        if files:
            check_uploads(files)
        return files


def _field_for(spec: FormField, membership) -> dict[str, forms.Field]:
    """Form fields for one field of the type; order lines become one quantity per item."""
    common = {
        "label": spec.display_label,
        "required": spec.required,
        "help_text": spec.display_help_text,
    }
    if spec.kind == K.TEXT:
        return {spec.key: forms.CharField(max_length=500, **common)}
    if spec.kind == K.LONG_TEXT:
        return {
            spec.key: forms.CharField(
                max_length=5000, widget=forms.Textarea(attrs={"rows": 5}), **common
            )
        }
    if spec.kind == K.NUMBER:
        return {
            spec.key: forms.DecimalField(
                min_value=spec.min_value, max_value=spec.max_value, localize=True, **common
            )
        }
    if spec.kind == K.DATE:
        return {
            spec.key: forms.DateField(
                input_formats=["%Y-%m-%d"],
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                error_messages={"invalid": _("Enter a date as YYYY-MM-DD, e.g. 2026-01-31.")},
                **common,
            )
        }
    if spec.kind == K.CHOICE:
        return {spec.key: forms.ChoiceField(choices=[("", "—"), *spec.choice_pairs()], **common)}
    if spec.kind == K.YES_NO:
        return {
            spec.key: forms.TypedChoiceField(
                choices=[("", "—"), ("yes", _("yes")), ("no", _("no"))],
                coerce=lambda value: value == "yes",
                empty_value=None,
                **common,
            )
        }
    if spec.kind == K.FILE:
        return {spec.key: MultipleFileField(**{**common, "required": spec.required})}
    if spec.kind == K.SERVICE_POINT:
        return {
            spec.key: forms.ModelChoiceField(
                queryset=ServicePoint.objects.for_membership(membership).order_by("code"),
                to_field_name="public_id",
                **common,
            )
        }
    if spec.kind == K.ORDER_LINES:
        return {
            f"{spec.key}__{item.code}": forms.DecimalField(
                label=f"{item.display_name} ({item.unit})",
                required=False,
                min_value=Decimal("0"),
                max_digits=10,
                decimal_places=2,
                localize=True,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6}),
            )
            for item in CatalogueItem.objects.filter(is_active=True)
        }
    raise ValueError(spec.kind)


class RequestForm(forms.Form):
    """A request of one type: its fields, in its order, validated as the type says."""

    def __init__(self, *args, request_type: RequestType, membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.request_type = request_type
        self.specs = list(request_type.fields.all())
        for spec in self.specs:
            self.fields.update(_field_for(spec, membership))
        self.fields["attachments"] = MultipleFileField(
            label=_("Attachments"),
            help_text=_(
                "Up to %(count)s files: PDF, JPEG, PNG, TXT, CSV, DOCX, XLSX, ODT, ODS; 10 MB each."
            )
            % {"count": MAX_FILES},
        )

    def clean(self):
        cleaned = super().clean()
        for spec in self.specs:
            if spec.kind == K.ORDER_LINES and spec.required and not self.order_lines_of(spec):
                self.add_error(None, _("Give a quantity of at least one item."))
        files = list(cleaned.get("attachments") or [])
        for spec in self.specs:
            if spec.kind == K.FILE:
                files += cleaned.get(spec.key) or []
        if len(files) > MAX_FILES:
            self.add_error(
                "attachments", _("Attach at most %(count)s files.") % {"count": MAX_FILES}
            )
        return cleaned

    def order_lines_of(self, spec) -> list[tuple[CatalogueItem, Decimal]]:
        items = {item.code: item for item in CatalogueItem.objects.filter(is_active=True)}
        lines = []
        for code, item in items.items():
            quantity = self.cleaned_data.get(f"{spec.key}__{code}")
            if quantity:
                lines.append((item, quantity))
        return lines

    def service_point(self):
        for spec in self.specs:
            if spec.kind == K.SERVICE_POINT:
                return self.cleaned_data.get(spec.key)
        return None

    def uploads(self) -> list:
        files = list(self.cleaned_data.get("attachments") or [])
        for spec in self.specs:
            if spec.kind == K.FILE:
                files += self.cleaned_data.get(spec.key) or []
        return [(f, check_upload(f)) for f in files]

    def order_lines(self) -> list[tuple[CatalogueItem, Decimal]]:
        return [
            line
            for spec in self.specs
            if spec.kind == K.ORDER_LINES
            for line in self.order_lines_of(spec)
        ]

    def data_to_store(self) -> dict:
        """The answers as JSON: dates ISO, numbers as text, the point's code, files by name."""
        data = {}
        for spec in self.specs:
            if spec.kind == K.ORDER_LINES:
                data[spec.key] = [
                    {"code": item.code, "quantity": str(quantity)}
                    for item, quantity in self.order_lines_of(spec)
                ]
                continue
            value = self.cleaned_data.get(spec.key)
            if spec.kind == K.DATE and value:
                value = value.isoformat()
            elif spec.kind == K.NUMBER and value is not None:
                value = str(value)
            elif spec.kind == K.SERVICE_POINT and value is not None:
                value = value.code
            elif spec.kind == K.FILE:
                value = [f.name for f in value or []]
            data[spec.key] = value
        return data

    def subject(self) -> str:
        """The type's name, with the first short text answer when there is one."""
        for spec in self.specs:
            if spec.kind == K.TEXT and self.cleaned_data.get(spec.key):
                return f"{self.request_type.name}: {self.cleaned_data[spec.key]}"[:200]
        return self.request_type.name


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Write a message.")},
    )
    attachments = MultipleFileField(label=_("Attachments"))


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("What is still wrong?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say why the request should be reopened.")},
    )


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How did we do?"),
        choices=[(str(n), str(n)) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
