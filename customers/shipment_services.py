"""Shipments the company sends a customer (letters, parcels): recorded once, announced to the
customer's users with the carrier's tracking link."""

from datetime import date
from urllib.parse import quote

from django.db import IntegrityError, transaction
from django.urls import reverse

from notifications.models import Category
from notifications.services import absolute_url, notify

from .models import Ability, Customer, Shipment
from .notification_hooks import recipients

TRACKING_URLS = {
    Shipment.Carrier.INPOST: "https://inpost.pl/sledzenie-przesylek?number={number}",
    Shipment.Carrier.POCZTA_POLSKA: "https://emonitoring.poczta-polska.pl/?numer={number}",
    Shipment.Carrier.DPD: "https://tracktrace.dpd.com.pl/parcelDetails?typ=1&p1={number}",
    Shipment.Carrier.DHL: "https://www.dhl.com/pl-pl/home/sledzenie.html?tracking-id={number}",
}


def tracking_url(carrier: str, tracking_number: str) -> str:
    """Where the customer follows the parcel; empty for a carrier we have no page of."""
    pattern = TRACKING_URLS.get(carrier)
    if not pattern or not tracking_number:
        return ""
    return pattern.format(number=quote(tracking_number.strip(), safe=""))


def record_shipment(
    customer: Customer,
    carrier: str,
    tracking_number: str,
    description: str,
    sent_on: date,
    external_id: str | None = None,
) -> Shipment:
    """Record a shipment and tell the customer's users, with the tracking link.

    The ERP may report the same shipment again: with its `external_id` the first record is
    returned and nobody is told twice (each notice has its key as well).
    """
    external_id = external_id or None
    with transaction.atomic():
        if external_id:
            existing = Shipment.objects.filter(external_id=external_id).first()
            if existing is not None:
                return existing
        try:
            with transaction.atomic():
                shipment = Shipment.objects.create(
                    customer=customer,
                    carrier=carrier,
                    tracking_number=tracking_number.strip(),
                    description=description,
                    sent_on=sent_on,
                    external_id=external_id,
                )
        except IntegrityError:
            if external_id is None:
                raise
            # Reported twice at the same moment: the other report recorded it.
            return Shipment.objects.get(external_id=external_id)
        link = tracking_url(carrier, shipment.tracking_number)
        for membership in recipients(customer, Ability.VIEW_ACCOUNT):
            notify(
                membership.user,
                category=Category.MESSAGES,
                template="customers/notifications/shipment_sent",
                context={
                    "shipment": shipment,
                    "customer": customer,
                    "tracking_url": link,
                    "url": absolute_url(reverse("customer:shipments")),
                },
                key=f"shipment:{shipment.public_id}:{membership.user_id}",
            )
    return shipment
