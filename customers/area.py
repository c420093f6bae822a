"""The customer area's frame: menu entries and dashboard widgets that rooms contribute.

A room registers `customer_menu_items` and `customer_dashboard_widgets` hooks in its
wagtail_hooks.py; the frame shows what the active membership's role may see.
"""

from dataclasses import dataclass, field

from django.urls import reverse
from wagtail import hooks

from .models import Membership


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    ability: str
    order: int = 100

    @property
    def url(self) -> str:
        return reverse(self.url_name)


@dataclass
class Widget:
    template: str
    context: dict = field(default_factory=dict)
    order: int = 100
    key: str = ""  # names the widget in a segment's dashboard layout


def menu_for(membership: Membership) -> list[MenuItem]:
    items = [item for fn in hooks.get_hooks("customer_menu_items") for item in fn()]
    return sorted((i for i in items if membership.can(i.ability)), key=lambda i: i.order)


def widgets_for(request, membership: Membership) -> list[Widget]:
    widgets = [fn(request, membership) for fn in hooks.get_hooks("customer_dashboard_widgets")]
    return sorted((w for w in widgets if w is not None), key=lambda w: w.order)
