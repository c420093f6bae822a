"""Who uses the portal for a customer (memberships, by invitation) and the shipments the
company sent a customer."""

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from customers.invitations import invite
from customers.models import Customer, Invitation, Membership, ServicePoint, Shipment
from customers.shipment_services import record_shipment

from ..columns import Column
from .base import Kind, Record

SEPARATORS = re.compile(r"[\s|]+")


class KeyListColumn(Column):
    """A list of other records' external_ids: separated by spaces or `|` in CSV, an array in
    JSON Lines. Cleans to the keys, in order and each once; resolving them is the kind's."""

    def model_field(self):
        return None

    def clean(self, value: Any) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str):
            items = SEPARATORS.split(value)
        elif isinstance(value, list) and all(
            isinstance(item, str | int) and not isinstance(item, bool) for item in value
        ):
            items = [str(item) for item in value]
        else:
            raise ValidationError(_("give the external_ids as a list of texts"))
        return list(dict.fromkeys(item.strip() for item in items if item.strip()))


class MembershipKind(Kind):
    """Who may use the portal for a customer, with which role and service points.

    A record names a person by e-mail. Someone already an active member of the customer
    has their role and service points brought in line; otherwise they are invited (the
    company invites: an e-mail with a link, sent only if the import commits), unless a
    pending invitation already offers the same. The ERP key stays on the invitation and
    passes to the membership when it is accepted. Nobody is removed by an import.
    """

    name = "memberships"
    model = Invitation
    columns = [
        Column("external_id", True, example="D-000123"),
        Column("customer", True, references=Customer, example="K-000123"),
        Column("email", True, example="anna@example.com"),
        Column("role", True, example="billing"),
        KeyListColumn(
            "service_points",
            note="service points' external_ids, separated by spaces or |",
            example="PP-0001|PP-0002",
        ),
    ]

    def __init__(self):
        super().__init__()
        self.people: dict[tuple[int, str], int] = {}

    def clean_row(self, number, row, columns=None) -> Record:
        record = super().clean_row(number, row, columns)
        if record.values.get("email"):
            record.values["email"] = record.values["email"].lower()
        return record

    def resolve(self, records: list[Record]) -> None:
        """The customer as for every kind; each service point known and the customer's own."""
        super().resolve(records)
        keys = {key for record in records for key in record.values.get("service_points", ())}
        found = {
            key: (pk, customer_id)
            for key, pk, customer_id in ServicePoint.objects.filter(
                external_id__in=keys
            ).values_list("external_id", "pk", "customer_id")
        }
        for record in records:
            points = set()
            for key in record.values.get("service_points", ()):
                if key not in found:
                    record.fail("service_points", _("no record with external_id %s") % key)
                    continue
                pk, customer_id = found[key]
                if customer_id != record.values.get("customer_id", customer_id):
                    record.fail(
                        "service_points", _("%s is a service point of another customer") % key
                    )
                    continue
                points.add(pk)
            record.values["service_points"] = frozenset(points)

    def check_unique(self, records: list[Record], existing: dict) -> None:
        """One record per person and customer in a file: two would contradict each other."""
        for record in records:
            person = (record.values["customer_id"], record.values["email"])
            first = self.people.setdefault(person, record.row)
            if first != record.row:
                record.fail(
                    "email",
                    _("%(email)s is given for this customer on row %(row)s already")
                    % {"email": record.values["email"], "row": first},
                )

    def fetch_existing(self, keys: list[str]) -> dict:
        """The ERP keys the portal knows, on a membership or on an invitation."""
        known: dict = {
            invitation.external_id: invitation
            for invitation in Invitation.objects.filter(external_id__in=keys).order_by("created_at")
        }
        known.update(
            (membership.external_id, membership)
            for membership in Membership.objects.filter(external_id__in=keys)
        )
        return known

    def write(self, records: list[Record], existing: dict) -> tuple[int, int, int]:
        customer_ids = {record.values["customer_id"] for record in records}
        customers = Customer.objects.in_bulk(customer_ids)
        members = {
            (member.customer_id, member.user.email.lower()): member
            for member in Membership.objects.active()
            .filter(customer_id__in=customer_ids)
            .select_related("user")
            .prefetch_related("service_points")
        }
        pending = {
            (invitation.customer_id, invitation.email.lower()): invitation
            for invitation in Invitation.objects.pending()
            .filter(customer_id__in=customer_ids)
            .prefetch_related("service_points")
            .order_by("created_at")
        }
        created = updated = unchanged = 0
        for record in records:
            values = record.values
            person = (values["customer_id"], values["email"])
            if person in members:
                changed = self._update_member(members[person], record)
            elif self._offers_the_same(pending.get(person), values):
                changed = self._keep_key(pending[person], record.external_id)
            else:
                invite(
                    customer=customers[values["customer_id"]],
                    email=values["email"],
                    role=values["role"],
                    service_points=sorted(values["service_points"]),
                    invited_by=None,
                    external_id=record.external_id,
                )
                if record.external_id not in existing:
                    created += 1
                    continue
                changed = True
            if changed:
                updated += 1
            else:
                unchanged += 1
        return created, updated, unchanged

    @staticmethod
    def _offers_the_same(invitation: Invitation | None, values: dict) -> bool:
        if invitation is None or invitation.role != values["role"]:
            return False
        return {point.pk for point in invitation.service_points.all()} == values["service_points"]

    @staticmethod
    def _keep_key(invitation: Invitation, key: str) -> bool:
        if invitation.external_id == key:
            return False
        invitation.external_id = key
        invitation.save(update_fields=["external_id"])
        return True

    @staticmethod
    def _update_member(member: Membership, record: Record) -> bool:
        """Bring a member's role, service points and ERP key in line; whether anything moved."""
        fields = []
        if member.role != record.values["role"]:
            member.role = record.values["role"]
            fields.append("role")
        if member.external_id != record.external_id:
            # The key names this member now; another that held it lets it go.
            Membership.objects.filter(external_id=record.external_id).exclude(pk=member.pk).update(
                external_id=None
            )
            member.external_id = record.external_id
            fields.append("external_id")
        if fields:
            member.save(update_fields=fields)
        points = record.values["service_points"]
        if {point.pk for point in member.service_points.all()} != points:
            member.service_points.set(points)
            fields.append("service_points")
        return bool(fields)


class ShipmentKind(Kind):
    """A letter or parcel sent to a customer. A new one is announced to the customer's users
    as one recorded by staff is (once, when the import commits); an update is not."""

    name = "shipments"
    model = Shipment
    columns = [
        Column("external_id", True, example="PRZ-2025-000001"),
        Column("customer", True, references=Customer, example="K-000123"),
        Column("carrier", True, example="inpost"),
        Column("tracking_number", True, example="620111222333444555666777"),
        Column("description", True, example="Nowy licznik przedpłatowy"),
        Column("sent_on", True, example="2025-02-03"),
    ]

    def write(self, records: list[Record], existing: dict) -> tuple[int, int, int]:
        known = [record for record in records if record.external_id in existing]
        new = [record for record in records if record.external_id not in existing]
        created, updated, unchanged = super().write(known, existing) if known else (0, 0, 0)
        customers = Customer.objects.in_bulk({record.values["customer_id"] for record in new})
        for record in new:
            values = record.values
            record_shipment(
                customer=customers[values["customer_id"]],
                carrier=values["carrier"],
                tracking_number=values["tracking_number"],
                description=values["description"],
                sent_on=values["sent_on"],
                external_id=record.external_id,
            )
        return created + len(new), updated, unchanged


KINDS_HERE = (MembershipKind, ShipmentKind)
