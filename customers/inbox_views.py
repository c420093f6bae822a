"""The customer's inbox: messages from the company, a message with its files, and a reply.

Messages are found only through `InboxMessage.objects.for_membership`, so another
customer's message or file is a 404. Staff viewing the portal as the customer leave no
receipts behind.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from .inbox_services import body_html, mark_delivered, mark_read, reply, with_receipt
from .models import Ability, InboxMessage
from .views import AreaFrameMixin


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Your reply"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("We file your reply as a request and answer it there."),
        error_messages={"required": gettext_lazy("Write your reply.")},
    )


class InboxMixin(AreaFrameMixin):
    required_ability = Ability.VIEW_ACCOUNT

    def messages(self):
        return InboxMessage.objects.for_membership(self.membership)

    def get_message(self, message_id) -> InboxMessage:
        return get_object_or_404(self.messages(), public_id=message_id)

    @property
    def keeps_receipts(self) -> bool:
        """Receipts are the customer's own: staff viewing as the customer leave none."""
        return not getattr(self.membership, "impersonated", False)

    def can_reply(self) -> bool:
        return self.membership.can(Ability.FILE_REQUESTS) and self.keeps_receipts


class InboxView(InboxMixin, ListView):
    """The messages, newest first, unread ones marked; showing them counts as delivered."""

    template_name = "customers/inbox/message_list.html"
    paginate_by = 20

    def get_queryset(self):
        return with_receipt(self.messages(), self.request.user).order_by("-published_at", "-pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        shown = list(context["object_list"])
        if self.keeps_receipts:
            mark_delivered(shown, self.request.user)
        context.update(object_list=shown, inbox=shown)
        return context


class MessageView(InboxMixin, TemplateView):
    """One message with its files; opening it counts as read."""

    template_name = "customers/inbox/message_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        message = self.get_message(self.kwargs["message_id"])
        if self.keeps_receipts:
            mark_read(message, self.request.user)
        context.update(
            message=message,
            body=body_html(message.body),
            attachments=list(message.attachments.all()),
            can_reply=self.can_reply(),
            reply_form=ReplyForm(),
        )
        return context


class MessageReplyView(InboxMixin, FormView):
    """The customer's answer to a message, filed as a service-desk request."""

    required_ability = Ability.FILE_REQUESTS
    template_name = "customers/inbox/message_reply.html"
    form_class = ReplyForm

    def get(self, request, *args, **kwargs):
        self.message = self.get_message(kwargs["message_id"])
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.message = self.get_message(kwargs["message_id"])
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            url = reply(self.request, self.membership, self.message, form.cleaned_data["text"])
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Thank you. Your reply has been filed as a request."))
        return redirect(url)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "message": self.message}


class MessageAttachmentView(InboxMixin, View):
    """A file of a message the customer may read, always as a download with `nosniff`."""

    def get(self, request, message_id, message_attachment_id):
        message = self.get_message(message_id)
        attachment = get_object_or_404(message.attachments.all(), public_id=message_attachment_id)
        response = FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.name or "attachment",
            content_type=attachment.content_type or "application/octet-stream",
        )
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "sandbox; default-src 'none'"
        return response
