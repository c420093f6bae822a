"""Owners invite people to use the portal for their customer, with a role; the company
does the same through the ERP import (no inviting user then)."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.services import absolute_url, send_email

from .models import Customer, Invitation, Membership, ServicePoint, User


class InvitationError(Exception):
    """Refused; the message is safe to show."""


def _hash(token: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), token.encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def invite(
    *,
    customer: Customer,
    email: str,
    role: str,
    service_points: list[ServicePoint],
    invited_by: User | None,
    base_url: str | None = None,
    external_id: str | None = None,
) -> Invitation:
    """Make the invitation and e-mail its link; an earlier pending one to the address ends.

    Without `invited_by` the company invites (the e-mail says so). The e-mail leaves
    through the outbox, so only if the caller's transaction commits. `external_id` is the
    ERP's key, carried to the membership on acceptance.
    """
    email = email.strip().lower()
    if Membership.objects.active().filter(customer=customer, user__email__iexact=email).exists():
        raise InvitationError(
            _("%(email)s already uses the portal for this customer.") % {"email": email}
        )
    now = timezone.now()
    Invitation.objects.pending().filter(customer=customer, email__iexact=email).update(
        revoked_at=now
    )
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        customer=customer,
        email=email,
        role=role,
        token_hash=_hash(token),
        invited_by=invited_by,
        expires_at=now + timedelta(days=Invitation.VALID_DAYS),
        external_id=external_id or "",
    )
    invitation.service_points.set(service_points)
    send_email(
        email,
        "customers/email/invitation",
        {
            "invitation": invitation,
            "inviter": invited_by,
            "url": _link(reverse("customer:accept_invitation", args=[token]), base_url),
        },
    )
    return invitation


def _link(path: str, base_url: str | None) -> str:
    """A link for the e-mail: from the request's address, or the site's own without one."""
    return base_url + path if base_url else absolute_url(path)


def find_pending(token: str) -> Invitation | None:
    return (
        Invitation.objects.pending()
        .select_related("customer")
        .filter(token_hash=_hash(token))
        .first()
    )


@transaction.atomic
def accept(invitation: Invitation, user: User) -> Membership:
    """The invited person, signed in with the invited address, joins the customer."""
    if user.email.lower() != invitation.email.lower():
        raise InvitationError(
            _("This invitation is for %(email)s. Sign in with that address to accept it.")
            % {"email": invitation.email}
        )
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at or invitation.revoked_at:
        raise InvitationError(_("This invitation has been used or withdrawn."))
    membership, _created = Membership.objects.update_or_create(
        user=user,
        customer=invitation.customer,
        defaults={
            "role": invitation.role,
            "status": Membership.Status.ACTIVE,
            "invited_by": invitation.invited_by,
        },
    )
    membership.service_points.set(invitation.service_points.all())
    if invitation.external_id and membership.external_id != invitation.external_id:
        # The ERP record now names this member; a member it named before loses the key.
        Membership.objects.filter(external_id=invitation.external_id).update(external_id=None)
        membership.external_id = invitation.external_id
        membership.save(update_fields=["external_id"])
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return membership
