"""A user's privacy tools (GDPR): a copy of their personal data, and closing their login.

The export is a ZIP with `data.json`: the user's profile, memberships, the data of the
customers they are an active member of (only what their role and service points
reach), their login history and signed-in sessions. Everything is read through the
user-scoped verbs (`Membership.objects.visible_to(user)`, `Customer.objects.visible_to`,
`ServicePoint.objects.for_membership`), never by id alone.

Other rooms add their part through the `personal_data_export` hook, registered in their
wagtail_hooks.py::

    @hooks.register("personal_data_export")
    def invoices_of(user) -> dict[str, object]:
        return {
            "billing.json": [...],                 # any JSON-serialisable data
            "files/invoices/FV-1-2026.pdf": b"%PDF…",  # bytes, stored as they are
        }

Each hook is called with the user and returns a dict of entries to add to the ZIP: a
name ending in `.json` holds data written as indented UTF-8 JSON (dates, decimals and
UUIDs are fine); any other name must hold `bytes`. Names are relative paths inside the
archive; `data.json` is taken, and a name may be used once. A hook must itself go
through the user-scoped verbs, as the rest of the export does.

Closing the portal account ends the login, not the customer: memberships are revoked,
second-factor devices deleted, sessions ended and the user deactivated; invoices and
other records stay with the customer they belong to.
"""

import io
import json
import posixpath
import zipfile
from typing import Any

from django.contrib.auth import logout
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user
from wagtail import hooks

from . import audit
from .models import AuditEvent, Customer, Membership, Role, ServicePoint, User, UserSession
from .services import end_other_sessions

EXPORT_HOOK = "personal_data_export"
MAIN_FILE = "data.json"

# What a member may see of the customer record; staff-only fields (credit limit,
# discount, account manager, segments, ERP key) stay out.
CUSTOMER_FIELDS = (
    "number",
    "kind",
    "name",
    "nip",
    "regon",
    "email",
    "phone",
    "billing_street",
    "billing_postal_code",
    "billing_city",
    "correspondence_street",
    "correspondence_postal_code",
    "correspondence_city",
    "bank_account",
    "refund_bank_account",
    "e_invoice_consent",
)
SERVICE_POINT_FIELDS = (
    "code",
    "name",
    "street",
    "postal_code",
    "city",
    "service_kind",
    "tariff",
    "status",
)


def _json_bytes(data: Any) -> bytes:
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode("utf-8")


def profile_of(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
    }


def memberships_of(user: User) -> list[dict[str, Any]]:
    """All of the user's own memberships, whatever their status."""
    memberships = (
        Membership.objects.visible_to(user)
        .filter(user=user)
        .select_related("customer")
        .prefetch_related("service_points")
        .order_by("customer__name", "customer__number")
    )
    return [
        {
            "customer_number": m.customer.number,
            "customer_name": m.customer.name,
            "role": m.role,
            "status": m.status,
            "created": m.created_at,
            "all_service_points": not m.service_points.all(),
            "service_point_codes": [point.code for point in m.service_points.all()],
        }
        for m in memberships
    ]


def customers_of(user: User) -> list[dict[str, Any]]:
    """The customers the user is an active member of, as far as their membership reaches."""
    memberships = (
        Membership.objects.active()
        .filter(user=user, customer__in=Customer.objects.visible_to(user))
        .select_related("customer")
        .order_by("customer__name", "customer__number")
    )
    return [
        {
            **{name: getattr(m.customer, name) for name in CUSTOMER_FIELDS},
            "service_points": list(
                ServicePoint.objects.for_membership(m).values(*SERVICE_POINT_FIELDS)
            ),
        }
        for m in memberships
    ]


def login_history_of(user: User) -> list[dict[str, Any]]:
    return [
        {
            "time": event.created_at,
            "action": event.action,
            "ip_address": event.ip_address,
            "device": event.user_agent,
        }
        for event in AuditEvent.objects.logins_of(user)
    ]


def sessions_of(user: User) -> list[dict[str, Any]]:
    return [
        {
            "created": session.created_at,
            "ip_address": session.ip_address,
            "device": session.user_agent,
        }
        for session in UserSession.objects.filter(user=user)
    ]


def personal_data(user: User) -> dict[str, Any]:
    """What `data.json` holds: the portal's own record of the user."""
    return {
        "exported_at": timezone.now(),
        "profile": profile_of(user),
        "memberships": memberships_of(user),
        "customers": customers_of(user),
        "login_history": login_history_of(user),
        "sessions": sessions_of(user),
    }


def _entry_name(name: str) -> str:
    """A hook's entry name, refused unless it is a plain relative path inside the archive."""
    clean = posixpath.normpath(name)
    if (
        not name
        or name != clean
        or clean.startswith(("/", "../"))
        or clean in {".", ".."}
        or "\\" in name
    ):
        raise ValueError(f"personal_data_export: bad entry name {name!r}")
    return clean


def build_personal_data_zip(user: User) -> bytes:
    """The user's personal data as a ZIP: `data.json` plus what the rooms' hooks add."""
    entries: dict[str, bytes] = {MAIN_FILE: _json_bytes(personal_data(user))}
    for contribute in hooks.get_hooks(EXPORT_HOOK):
        for name, content in (contribute(user) or {}).items():
            name = _entry_name(name)
            if name in entries:
                raise ValueError(f"personal_data_export: {name!r} is already in the export")
            if name.endswith(".json"):
                entries[name] = _json_bytes(content)
            elif isinstance(content, bytes):
                entries[name] = content
            else:
                raise TypeError(f"personal_data_export: {name!r} must be bytes or a .json name")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def customers_blocking_closure(user: User) -> list[Customer]:
    """Customers for which the user is the last active owner while others still use them.

    Closing the login would leave those members without anyone to manage access, so the
    user must hand ownership over first.
    """
    owned = Membership.objects.active().filter(user=user, role=Role.OWNER)
    blocking = []
    for membership in owned.select_related("customer"):
        others = (
            Membership.objects.active().filter(customer=membership.customer_id).exclude(user=user)
        )
        if others.exists() and not others.filter(role=Role.OWNER).exists():
            blocking.append(membership.customer)
    return blocking


@transaction.atomic
def close_portal_account(request) -> None:
    """Close the signed-in user's portal login for good, and sign them out.

    Memberships are revoked, second-factor devices deleted, every session ended and the
    user deactivated. The customers' records (invoices, contracts…) are left as they are:
    they belong to the customer, not to the login.
    """
    user = request.user
    memberships = Membership.objects.visible_to(user).filter(user=user)
    for membership in memberships.exclude(status=Membership.Status.REVOKED):
        membership.status = Membership.Status.REVOKED
        membership.save(update_fields=["status"])
    for device in list(devices_for_user(user, confirmed=None)):
        device.delete()
    end_other_sessions(user, keep=None)
    user.is_active = False
    user.active_customer = None
    user.save(update_fields=["is_active", "active_customer"])
    audit.record(
        AuditEvent.Action.DATA_CHANGED, request, actor=user, change="portal account closed"
    )
    logout(request)
