"""Hooks registered on import from wagtail_hooks: a reply to an inbox message becomes a request."""

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from wagtail import hooks

from customers.models import Ability

from . import services
from .models import FormField, RequestType


@hooks.register("customer_message_reply")
def file_reply_as_request(request, membership, message, text: str) -> str:
    """File the customer's reply as a general question: "Re: <subject>", the text kept under
    the type's first long-text field. The URL of the new request."""
    if not membership.can(Ability.FILE_REQUESTS):
        raise ValidationError(_("Your role does not allow filing requests for this customer."))
    request_type = (
        RequestType.objects.for_membership(membership)
        .filter(category=RequestType.Category.GENERAL)
        .order_by("sort_order", "name", "pk")
        .first()
    )
    if request_type is None:
        raise ValidationError(
            _(
                "Replies cannot be filed at the moment: no request type for questions is open to you."
            )
        )
    text_field = (
        request_type.fields.filter(kind=FormField.Kind.LONG_TEXT).order_by("sort_order").first()
    )
    filed = services.file_request(
        membership=membership,
        user=request.user,
        request_type=request_type,
        data={
            text_field.key if text_field else "text": text,
            "_in_reply_to": str(message.public_id),
        },
        subject=f"Re: {message.subject}",
        http_request=request,
    )
    return reverse("servicedesk:request", kwargs={"request_id": filed.public_id})
