"""Hooks of appointments, cost reports and orders (imported by wagtail_hooks)."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from customers.area import MenuItem
from customers.models import Ability


@hooks.register("customer_menu_items")
def appointment_and_order_menu_items():
    return [
        MenuItem(_("Appointments"), "servicedesk:appointments", Ability.FILE_REQUESTS, 47),
        MenuItem(_("Orders and quotes"), "servicedesk:orders", Ability.FILE_REQUESTS, 48),
    ]


@hooks.register("register_admin_urls")
def appointment_and_cost_admin_urls():
    from . import admin_extra_views as views

    return [
        path(
            "requests/<int:pk>/slots/propose/",
            views.propose_slots,
            name="servicedesk_slot_propose",
        ),
        path(
            "requests/<int:pk>/slots/cancel/",
            views.cancel_appointment,
            name="servicedesk_slot_cancel",
        ),
        path(
            "requests/slots/<int:pk>/confirm/",
            views.confirm_slot,
            name="servicedesk_slot_confirm",
        ),
        path(
            "requests/<int:pk>/costs/add/",
            views.add_cost,
            name="servicedesk_cost_add",
        ),
        path(
            "requests/costs/<int:pk>/delete/",
            views.delete_cost,
            name="servicedesk_cost_delete",
        ),
    ]
