"""Forms of the document pages: the library's filter and the price list's admin form."""

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminPageForm

SEARCH_MAX_LENGTH = 100


class LibraryFilterForm(forms.Form):
    """What the reader looks for in a library: words of a title or tag, and a category."""

    q = forms.CharField(
        label=_("Search documents"),
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    tag = forms.ChoiceField(label=_("Category"), required=False)

    def __init__(self, *args, tags=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tag"].choices = [("", _("All categories"))] + [
            (tag.slug, tag.name) for tag in tags
        ]
        self.fields["tag"].error_messages["invalid_choice"] = _(
            "There is no category “%(value)s” in this library."
        )


class PriceListPageForm(WagtailAdminPageForm):
    """Two versions of one price list cannot take effect on the same day."""

    def clean(self):
        cleaned_data = super().clean()
        effective_from = cleaned_data.get("effective_from")
        parent = self.parent_page
        if effective_from and parent is not None:
            others = (
                type(self.instance).objects.child_of(parent).filter(effective_from=effective_from)
            )
            if self.instance.pk:
                others = others.exclude(pk=self.instance.pk)
            if others.exists():
                self.add_error(
                    "effective_from",
                    _("Another version of this price list takes effect on that day."),
                )
        return cleaned_data
