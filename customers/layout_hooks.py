"""Hooks registered on import from wagtail_hooks: dashboard layouts per segment, the account
manager's widget, and the customer's contracts and messages in the site search."""

from django import forms
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, InlinePanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from notifications.permissions import PermissionCheckedSnippetChooserViewSet

from .area import KNOWN_WIDGETS, SEARCH_RESULTS_PER_KIND, SearchResult, Widget
from .models import Ability, Contract, DashboardLayout, InboxMessage


class DashboardLayoutItemForm(WagtailAdminModelForm):
    """A layout names widgets by key; staff choose from the known ones."""

    widget = forms.ChoiceField(label=gettext_lazy("Widget"), choices=KNOWN_WIDGETS)


class WidgetInlinePanel(InlinePanel):
    def get_form_options(self):
        options = super().get_form_options()
        options["formsets"][self.relation_name]["form"] = DashboardLayoutItemForm
        return options


class DashboardLayoutViewSet(SnippetViewSet):
    """Which widgets a segment's customers see on their dashboard, and in which order."""

    model = DashboardLayout
    chooser_viewset_class = PermissionCheckedSnippetChooserViewSet
    icon = "table"
    menu_label = gettext_lazy("Dashboard layouts")
    add_to_settings_menu = True
    search_backend_name = None
    search_fields = ["segment__group__name", "segment__code"]
    list_display = ["segment"]
    panels = [
        FieldPanel("segment"),
        WidgetInlinePanel(
            "items",
            label=gettext_lazy("Widgets"),
            heading=gettext_lazy("Widgets, in the order shown"),
            min_num=1,
        ),
    ]


register_snippet(DashboardLayoutViewSet)


@hooks.register("customer_dashboard_widgets")
def account_manager_widget(request, membership):
    """Who looks after the customer at the company, for customers that have someone."""
    if membership.customer.account_manager_id is None:
        return None

    def context():
        # The gate loads the manager with the customer; elsewhere this is one query.
        manager = membership.customer.account_manager
        return {"manager": manager} if manager.is_active else None

    return Widget(
        "customers/widgets/account_manager.html", context, order=90, key="account_manager"
    )


@hooks.register("customer_search")
def search_contracts(request, membership, query: str) -> list[SearchResult]:
    """The customer's contracts whose number or a document's title holds the words."""
    if not membership.can(Ability.VIEW_CONTRACTS):
        return []
    contracts = Contract.objects.for_membership(membership)
    for word in query.split():
        contracts = contracts.filter(
            Q(number__icontains=word) | Q(documents__title__icontains=word)
        )
    return [
        SearchResult(
            title=_("Contract %(number)s (%(kind)s)")
            % {"number": contract.number, "kind": contract.get_kind_display()},
            url=reverse("customer:contract", kwargs={"contract_id": contract.public_id}),
            kind=_("Contract"),
            date=contract.start_date,
        )
        for contract in contracts.distinct().order_by("-start_date", "number")[
            :SEARCH_RESULTS_PER_KIND
        ]
    ]


@hooks.register("customer_search")
def search_messages(request, membership, query: str) -> list[SearchResult]:
    """Messages to the customer whose subject or text holds every word."""
    messages = InboxMessage.objects.for_membership(membership)
    for word in query.split():
        messages = messages.filter(Q(subject__icontains=word) | Q(body__icontains=word))
    results = []
    for message in messages.order_by("-published_at")[:SEARCH_RESULTS_PER_KIND]:
        try:
            url = reverse("customer:message", kwargs={"message_id": message.public_id})
        except NoReverseMatch:
            continue  # the inbox pages are not there (yet): nothing to link to
        results.append(
            SearchResult(
                title=message.subject, url=url, kind=_("Message"), date=message.published_at
            )
        )
    return results
