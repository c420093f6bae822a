"""Staff write messages to customers in the admin, send them once and follow the receipts.

The message is a snippet (InboxMessageViewSet). Chosen customers are entered as customer
numbers with a search that asks the server as staff type, so a base of thousands of
customers is never put into one page. "Send" and "Receipts" are admin views of their own.
"""

import re

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.widgets.button import Button
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.snippets.views.snippets import (
    CreateView,
    EditView,
    IndexView,
    InspectView,
    SnippetViewSet,
)

from documents.uploads import check_upload
from notifications.permissions import PermissionCheckedSnippetChooserViewSet

from .inbox_services import audience_users, not_read_by, receipt_counts, send_message
from .models import Customer, InboxMessage

permission_policy = ModelPermissionPolicy(InboxMessage)

# Attachments


def check_attachment(upload) -> tuple[str, str]:
    """(a safe file name, the content type) of a file staff attach, or ValidationError:
    the same checks as every upload (documents.uploads)."""
    checked = check_upload(upload)
    return checked.name, checked.content_type


class AttachmentForm(WagtailAdminModelForm):
    """One attachment: the file is checked, its name and type taken from the check."""

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if isinstance(upload, UploadedFile):
            self.instance.name, self.instance.content_type = check_attachment(upload)
        return upload


class AttachmentsPanel(InlinePanel):
    """The message's files, each through AttachmentForm."""

    def get_form_options(self):
        options = super().get_form_options()
        options["formsets"][self.relation_name]["form"] = AttachmentForm
        return options


# Choosing customers


NUMBER_SEPARATORS = re.compile(r"[\s,;]+")


class CustomerNumbersWidget(forms.Textarea):
    """Customer numbers, one a line, with a search field that suggests customers as staff
    type (a few at a time, from customers_inbox_customer_search)."""

    template_name = "customers/admin/inbox/customer_numbers_widget.html"

    class Media:
        js = ["customers/js/customer_numbers.js"]

    def __init__(self, attrs=None):
        super().__init__({"rows": 4, **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["search_url"] = reverse("customers_inbox_customer_search")
        return context

    def render(self, name, value, attrs=None, renderer=None):
        # The project's template engine: the form renderer does not search templates/.
        return render_to_string(self.template_name, self.get_context(name, value, attrs))


class CustomerNumbersField(forms.Field):
    """Chosen customers as their numbers: unknown numbers are named in the error."""

    widget = CustomerNumbersWidget

    def prepare_value(self, value):
        if not value or isinstance(value, str):
            return value or ""
        items = list(value)
        if items and not isinstance(items[0], Customer):
            items = Customer.objects.filter(pk__in=items).only("number")
        return "\n".join(sorted(customer.number for customer in items))

    def to_python(self, value) -> list[str]:
        if not value:
            return []
        if not isinstance(value, str):
            value = self.prepare_value(value)
        return list(dict.fromkeys(n for n in NUMBER_SEPARATORS.split(value) if n))

    def clean(self, value) -> list[Customer]:
        numbers = self.to_python(value)
        self.validate(numbers)
        customers = list(Customer.objects.filter(number__in=numbers))
        unknown = sorted(set(numbers) - {customer.number for customer in customers})
        if unknown:
            raise ValidationError(
                _("No customer has the number: %(numbers)s."),
                code="unknown_customer",
                params={"numbers": ", ".join(unknown[:20])},
            )
        return customers

    def has_changed(self, initial, data) -> bool:
        return set(self.to_python(initial)) != set(self.to_python(data))


class InboxMessageForm(WagtailAdminModelForm):
    """The audience must name someone; a sent message keeps the audience it was sent to."""

    customers = CustomerNumbersField(
        label=gettext_lazy("Customers"),
        required=False,
        help_text=gettext_lazy(
            "Customer numbers, one a line (or separated by commas). Search to add one."
        ),
    )

    def clean(self):
        cleaned = super().clean()
        audience = cleaned.get("audience")
        if audience == InboxMessage.Audience.SEGMENTS and not cleaned.get("segments"):
            self.add_error("segments", _("Choose at least one segment."))
        if (
            audience == InboxMessage.Audience.CUSTOMERS
            and "customers" not in self.errors
            and not cleaned.get("customers")
        ):
            self.add_error("customers", _("Give at least one customer number."))
        if self.instance.published_at is not None:
            for field in ("audience", "segments", "customers"):
                if field in self.changed_data and field not in self.errors:
                    self.add_error(
                        field,
                        _("The message has been sent; who it went to cannot change."),
                    )
        return cleaned


# The snippet's views


def receipts_url(message: InboxMessage) -> str:
    return reverse("customers_inbox_receipts", args=[message.pk])


def send_url(message: InboxMessage) -> str:
    return reverse("customers_inbox_send", args=[message.pk])


class MessageButtonsMixin:
    """Send (a draft, for those who may change messages) and Receipts (a sent message)."""

    def message_buttons(self, message: InboxMessage, button_class) -> list:
        if message.published_at is not None:
            return [button_class(_("Receipts"), url=receipts_url(message), icon_name="list-ul")]
        if permission_policy.user_has_permission(self.request.user, "change"):
            return [button_class(_("Send"), url=send_url(message), icon_name="mail")]
        return []


class MessageIndexView(MessageButtonsMixin, IndexView):
    def get_list_more_buttons(self, instance):
        return [*self.message_buttons(instance, MenuItem), *super().get_list_more_buttons(instance)]


class MessageCreateView(CreateView):
    def save_instance(self):
        self.form.instance.created_by = self.request.user
        return super().save_instance()


class MessageEditView(MessageButtonsMixin, EditView):
    @cached_property
    def header_more_buttons(self):
        return [*self.message_buttons(self.object, Button), *super().header_more_buttons]


class MessageInspectView(MessageButtonsMixin, InspectView):
    @cached_property
    def header_more_buttons(self):
        return [*self.message_buttons(self.object, Button), *super().header_more_buttons]


class InboxMessageViewSet(SnippetViewSet):
    """Messages to customers: written as drafts, sent with the Send action."""

    model = InboxMessage
    chooser_viewset_class = PermissionCheckedSnippetChooserViewSet
    icon = "mail"
    menu_label = gettext_lazy("Messages to customers")
    menu_order = 215
    add_to_admin_menu = True
    index_view_class = MessageIndexView
    add_view_class = MessageCreateView
    edit_view_class = MessageEditView
    inspect_view_class = MessageInspectView
    inspect_view_enabled = True
    inspect_view_fields = [
        "subject",
        "audience",
        "segments",
        "published_at",
        "created_by",
        "created_at",
    ]
    search_backend_name = None
    search_fields = ["subject"]
    list_display = ["subject", "audience", "published_at", "created_at"]
    list_filter = ["audience"]
    edit_handler = ObjectList(
        [
            FieldPanel("subject"),
            FieldPanel("body"),
            MultiFieldPanel(
                [
                    FieldPanel("audience", widget=forms.RadioSelect),
                    FieldPanel("segments", widget=forms.CheckboxSelectMultiple),
                    FieldPanel("customers"),
                ],
                heading=gettext_lazy("To"),
            ),
            AttachmentsPanel(
                "attachments", heading=gettext_lazy("Attachments"), panels=[FieldPanel("file")]
            ),
        ],
        base_form_class=InboxMessageForm,
    )


# Send, receipts, customer search


def send_view(request, pk):
    """Confirm, then send a draft: stamped sent, its audience told in batches."""
    if not permission_policy.user_has_permission(request.user, "change"):
        raise PermissionDenied
    message = get_object_or_404(InboxMessage, pk=pk)
    if request.method == "POST":
        if send_message(message):
            messages.success(request, _("The message is sent; its recipients are being notified."))
        else:
            messages.warning(
                request,
                _("The message was sent on %(date)s already; nobody is notified again.")
                % {"date": date_format(localtime(message.published_at), "SHORT_DATETIME_FORMAT")},
            )
        return redirect(receipts_url(message))
    return TemplateResponse(
        request,
        "customers/admin/inbox/send.html",
        {"message": message, "recipients": audience_users(message).count()},
    )


def receipts_view(request, pk):
    """How many users the message reached, were shown it and read it; who has not read it."""
    if not permission_policy.user_has_any_permission(request.user, ["view", "change"]):
        raise PermissionDenied
    message = get_object_or_404(InboxMessage, pk=pk)
    page = Paginator(not_read_by(message), 50).get_page(request.GET.get("p"))
    return TemplateResponse(
        request,
        "customers/admin/inbox/receipts.html",
        {
            "message": message,
            "counts": receipt_counts(message),
            "not_read": page,
            "edit_url": reverse("wagtailsnippets_customers_inboxmessage:edit", args=[message.pk]),
        },
    )


SEARCH_RESULTS = 20


def customer_search(request):
    """Customers whose number, name or NIP match what staff typed, a few at a time."""
    if not permission_policy.user_has_any_permission(request.user, ["add", "change"]):
        raise PermissionDenied
    query = request.GET.get("q", "").strip()
    if len(query) < 2:
        return JsonResponse({"results": []})
    customers = Customer.objects.filter(
        Q(number__istartswith=query) | Q(name__icontains=query) | Q(nip__startswith=query)
    ).order_by("number")[:SEARCH_RESULTS]
    return JsonResponse(
        {"results": [{"number": c.number, "label": f"{c.number} — {c.name}"} for c in customers]}
    )


def inbox_admin_urls() -> list:
    return [
        path("inbox-messages/<int:pk>/send/", send_view, name="customers_inbox_send"),
        path("inbox-messages/<int:pk>/receipts/", receipts_view, name="customers_inbox_receipts"),
        path(
            "inbox-messages/customers/",
            customer_search,
            name="customers_inbox_customer_search",
        ),
    ]
