"""Staff side of webhooks: endpoints as snippets, a delivery log per endpoint, redelivery
and rotating a signing secret."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.widgets.button import Button
from wagtail.snippets.views.snippets import IndexView, SnippetViewSet

from notifications.events import EVENTS
from notifications.models import Channel, Delivery
from notifications.permissions import PermissionCheckedSnippetChooserViewSet
from notifications.tasks import deliver

from .models import WebhookEndpoint, new_secret
from .webhooks import KEY_PREFIX

VIEW_PERMISSION = "integrations.view_webhookendpoint"
CHANGE_PERMISSION = "integrations.change_webhookendpoint"
LOG_LENGTH = 200

EVERY_EVENT = "*"


def event_choices() -> list[tuple[str, str]]:
    return [(EVERY_EVENT, gettext_lazy("every event (*)")), *((e, e) for e in EVENTS)]


class WebhookEndpointForm(WagtailAdminModelForm):
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events"),
        choices=event_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("The endpoint hears only of the events ticked here."),
    )

    def clean_url(self):
        url = self.cleaned_data["url"]
        if not url.startswith(("https://", "http://")):
            raise forms.ValidationError(_("Give an http(s) address."))
        return url


class WebhookEndpointIndexView(IndexView):
    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if self.request.user.has_perm(VIEW_PERMISSION):
            buttons.append(
                Button(
                    _("Delivery log"),
                    reverse("integrations_webhook_log", args=[instance.pk]),
                    icon_name="list-ul",
                    priority=5,
                )
            )
        return buttons


class WebhookEndpointViewSet(SnippetViewSet):
    """Where the portal tells the company's systems of events, signed with a secret."""

    model = WebhookEndpoint
    chooser_viewset_class = PermissionCheckedSnippetChooserViewSet
    index_view_class = WebhookEndpointIndexView
    icon = "link-external"
    menu_label = gettext_lazy("Webhooks")
    add_to_admin_menu = True
    menu_order = 910
    search_backend_name = None
    list_display = ["name", "url", "is_active", "created_at"]
    list_filter = ["is_active"]
    inspect_view_enabled = True
    inspect_view_fields = ["name", "url", "events", "is_active", "secret", "created_at"]
    edit_handler = ObjectList(
        [FieldPanel("name"), FieldPanel("url"), FieldPanel("events"), FieldPanel("is_active")],
        base_form_class=WebhookEndpointForm,
    )


def deliveries_of(endpoint: WebhookEndpoint):
    """The outbox rows written for one endpoint, newest first."""
    return Delivery.objects.filter(
        channel=Channel.WEBHOOK, key__startswith=f"{KEY_PREFIX}:{endpoint.pk}:"
    ).order_by("-created_at", "-pk")


@permission_required(VIEW_PERMISSION, raise_exception=True)
def delivery_log(request, pk):
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    return TemplateResponse(
        request,
        "integrations/webhooks_log.html",
        {
            "endpoint": endpoint,
            "deliveries": list(deliveries_of(endpoint)[:LOG_LENGTH]),
            "can_change": request.user.has_perm(CHANGE_PERMISSION),
        },
    )


@require_POST
@permission_required(CHANGE_PERMISSION, raise_exception=True)
def redeliver(request, pk, delivery_pk):
    """Send one delivery again, sent or failed: back to waiting, due now, a new attempt."""
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    updated = (
        deliveries_of(endpoint)
        .filter(pk=delivery_pk, status__in=[Delivery.Status.FAILED, Delivery.Status.SENT])
        .update(status=Delivery.Status.PENDING, not_before=timezone.now())
    )
    if updated:
        deliver.delay(delivery_pk)
        messages.success(request, _("The event will be delivered again."))
    else:
        messages.error(request, _("Only a sent or failed delivery can be sent again."))
    return redirect("integrations_webhook_log", pk=endpoint.pk)


@require_POST
@permission_required(CHANGE_PERMISSION, raise_exception=True)
def rotate_secret(request, pk):
    """A new signing secret; deliveries still waiting will be signed with it."""
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret"])
    messages.success(
        request, _("A new signing secret is in force; give it to the receiving system.")
    )
    return redirect("integrations_webhook_log", pk=endpoint.pk)
