"""Hooks registered on import from wagtail_hooks: a form page's answers become a request.

A signed-in customer who sends a public form (contact form, quote request) gets a
request in the service desk too, so the answer comes through the thread they can follow.
"""

import datetime
from dataclasses import dataclass

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from wagtail import hooks

from customers.models import Ability, Membership

from . import services
from .models import FormField, RequestType

ANSWERS_KEY = "answers"
"""Where the answers go when the request type's form has no long-text field."""


@dataclass(frozen=True)
class FiledRequest:
    reference: str
    url: str


def request_type_for(membership: Membership, slug: str = "") -> RequestType | None:
    """The type the page names, if this member may file it; else the first general one."""
    types = RequestType.objects.for_membership(membership)
    chosen = types.filter(slug=slug).first() if slug else None
    return chosen or types.filter(category=RequestType.Category.GENERAL).first()


def readable_value(value) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime.datetime):
        return date_format(value, "SHORT_DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)


def answers_text(page, cleaned_data: dict) -> str:
    """The answers as "label: value" lines, in the form's order (Wagtail's data fields)."""
    labels = dict(page.get_data_fields()) if hasattr(page, "get_data_fields") else {}
    return "\n".join(
        f"{labels.get(name, name)}: {readable_value(value)}" for name, value in cleaned_data.items()
    )


@hooks.register("form_submission_request")
def file_form_submission(request, membership: Membership, page, cleaned_data: dict):
    """File the answers as a request of the page's type (or a general question)."""
    if not membership.can(Ability.FILE_REQUESTS):
        return None
    request_type = request_type_for(membership, getattr(page, "request_type_slug", ""))
    if request_type is None:
        return None
    long_text = (
        request_type.fields.filter(kind=FormField.Kind.LONG_TEXT).order_by("sort_order").first()
    )
    filed = services.file_request(
        membership=membership,
        user=request.user,
        request_type=request_type,
        data={(long_text.key if long_text else ANSWERS_KEY): answers_text(page, cleaned_data)},
        subject=page.title,
        http_request=request,
    )
    return FiledRequest(
        filed.reference, reverse("servicedesk:request", kwargs={"request_id": filed.public_id})
    )
