"""The customer area's pages for notifications: what a user receives, and the shipments
the company sent the customer."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import FormView, ListView

from notifications.forms import MARKETING_CONSENT_TEXT, NotificationSettingsForm
from notifications.services import current_consent, save_notification_settings

from . import audit
from .models import AuditEvent, Shipment
from .shipment_services import tracking_url
from .views import AreaFrameMixin


class NotificationSettingsView(AreaFrameMixin, FormView):
    """The user's own choices: which notices by e-mail or SMS, the phone, the offers consent."""

    template_name = "customers/notifications/preferences.html"
    form_class = NotificationSettingsForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["consent"] = current_consent(self.request.user)
        context["consent_text"] = MARKETING_CONSENT_TEXT
        return context

    def form_valid(self, form):
        user = self.request.user
        try:
            consent = save_notification_settings(
                user,
                choices=form.choices(),
                mobile_phone=form.cleaned_data["mobile_phone"],
                marketing_consent=form.cleaned_data["marketing_consent"],
                consent_text=str(MARKETING_CONSENT_TEXT),
                ip_address=audit.client_ip(self.request),
            )
        except ValidationError as error:
            category = (error.params or {}).get("category")
            if category:
                form.add_category_error(category, error.messages[0])
            else:
                form.add_error(None, error)
            return self.form_invalid(form)
        if form.has_changed():
            detail = {"change": "notification preferences", "fields": sorted(form.changed_data)}
            if consent is not None:
                detail["consent"] = "given" if consent.given else "withdrawn"
            audit.record(
                AuditEvent.Action.DATA_CHANGED, self.request, customer=self.customer, **detail
            )
        messages.success(self.request, _("Your notification settings have been saved."))
        return HttpResponseRedirect(reverse("customer:notifications"))


class ShipmentListView(AreaFrameMixin, ListView):
    """Letters and parcels the company sent the customer, with the carrier's tracking link."""

    template_name = "customers/notifications/shipment_list.html"
    context_object_name = "shipments"
    paginate_by = 25

    def get_queryset(self):
        return Shipment.objects.for_membership(self.membership)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["shipments"] = [
            (shipment, tracking_url(shipment.carrier, shipment.tracking_number))
            for shipment in context["shipments"]
        ]
        return context
