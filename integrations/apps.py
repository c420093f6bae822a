from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    """ERP import and outbound webhooks."""

    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self):
        from notifications import events

        from . import signal_handlers, webhooks

        events.domain_event.connect(
            signal_handlers.domain_event_to_webhooks,
            dispatch_uid="integrations.domain_event_to_webhooks",
        )
        events.signers[webhooks.KEY_PREFIX] = webhooks.webhook_secret
