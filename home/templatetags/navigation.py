from django import template
from wagtail.models import Site

register = template.Library()


@register.inclusion_tag("components/main_menu.html", takes_context=True)
def main_menu(context):
    """The site's top-level pages marked "show in menus", with the current one flagged."""
    request = context["request"]
    site = Site.find_for_request(request)
    current = context.get("page")
    items = []
    if site:
        root = site.root_page
        for child in root.get_children().live().public().in_menu():
            active = bool(current and current.path.startswith(child.path))
            items.append({"page": child, "active": active})
        items.insert(0, {"page": root, "active": bool(current and current.pk == root.pk)})
    return {"items": items, "request": request}
