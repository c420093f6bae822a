"""The appointment and the cost report of a request, for the templates that show them.

The customer's request page and the staff detail page include these parts with only
the request in hand; the tags give them the computed view without logic in templates.
"""

from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.translation import get_language

from servicedesk.appointments import Appointments, appointments_of
from servicedesk.costs import CostReport, cost_report

register = template.Library()


@register.simple_tag
def appointments_for(request) -> Appointments:
    """`{% appointments_for req as appt %}`: confirmed, proposed by each side, declined."""
    return appointments_of(request)


@register.simple_tag
def cost_report_for(request) -> CostReport:
    """`{% cost_report_for req as report %}`: priced lines and totals."""
    return cost_report(request)


@register.filter
def amount(value) -> str:
    """1234.5 → "1 234,50 zł" in Polish, "1,234.50 PLN" in English."""
    if value is None or value == "":
        return ""
    text = number_format(Decimal(value), 2, use_l10n=True, force_grouping=True)
    symbol = "zł" if (get_language() or "pl").startswith("pl") else "PLN"
    return f"{text}\u00a0{symbol}"
