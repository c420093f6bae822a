"""The announcement's admin form: the audience needs what it names."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminPageForm


class AnnouncementPageForm(WagtailAdminPageForm):
    """Checks that need the chosen segments and customers (the model's `clean` checks the
    rest: dates, postal codes, areas, channels)."""

    def clean(self):
        cleaned_data = super().clean()
        audience = cleaned_data.get("audience")
        choices = self.instance.Audience
        if audience == choices.SEGMENTS and not cleaned_data.get("segments"):
            self.add_error("segments", _("Choose at least one segment."))
        if audience == choices.CUSTOMERS and not cleaned_data.get("customers"):
            self.add_error("customers", _("Choose at least one customer."))
        return cleaned_data
