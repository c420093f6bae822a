from .calendar import Holiday, WorkingCalendar
from .requests import (
    AppointmentSlot,
    Attachment,
    CostItem,
    Event,
    Message,
    OrderLine,
    Request,
)
from .types import CatalogueItem, FormField, Priority, RequestType, RoutingRule, Team

__all__ = [
    "AppointmentSlot",
    "Attachment",
    "CatalogueItem",
    "CostItem",
    "Event",
    "FormField",
    "Holiday",
    "Message",
    "OrderLine",
    "Priority",
    "Request",
    "RequestType",
    "RoutingRule",
    "Team",
    "WorkingCalendar",
]
