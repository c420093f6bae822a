"""The header's unread-messages badge, computed in at most one query per page."""

from django import template

from ..inbox_services import unread_count

register = template.Library()


@register.inclusion_tag("customers/inbox/_badge.html", takes_context=True)
def unread_messages_badge(context) -> dict:
    request = context.get("request")
    return {"count": unread_count(request) if request is not None else 0}
