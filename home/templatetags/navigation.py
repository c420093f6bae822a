from django import template
from wagtail.models import Site

from home.menu import menu_entries

register = template.Library()


@register.inclusion_tag("components/main_menu.html", takes_context=True)
def main_menu(context):
    """The site's top-level pages marked "show in menus", with the current one flagged."""
    request = context["request"]
    site = Site.find_for_request(request)
    current = context.get("page")
    items = []
    if site:
        root, *children = menu_entries(site, request)
        items.append({**root, "active": bool(current and current.pk == root["pk"])})
        for child in children:
            active = bool(current and current.path.startswith(child["path"]))
            items.append({**child, "active": active})
    return {"items": items, "request": request}
