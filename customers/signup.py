"""Sign-up of households, proven with billing data the customer holds.

A person gives their customer number and the number and gross amount of any of the
customer's invoices. The billing room answers whether that proof holds through the
`verify_billing_proof` hook (customers/ knows no invoices). The answer on the page is
the same whether or not the number exists; the e-mail decides what happens next:
a signed, expiring link makes the login active, and the new user joins the customer
as its owner, or waits for the owner's approval when it has one.
"""

from decimal import Decimal

from django.core import signing
from django.db import transaction
from django.urls import reverse
from wagtail import hooks

from notifications.services import send_email

from . import audit
from .models import AuditEvent, Customer, Membership, Role, User

PROOF_HOOK = "verify_billing_proof"
LINK_SALT = "okienko.signup"
LINK_MAX_AGE = 48 * 3600


class SignUpError(Exception):
    """The link is invalid or expired; the message is safe to show."""


def proof_holds(customer: Customer, invoice_number: str, gross_amount: Decimal) -> bool:
    """Whether any registered billing check confirms the invoice belongs to the customer."""
    return any(
        check(customer=customer, invoice_number=invoice_number, gross_amount=gross_amount)
        for check in hooks.get_hooks(PROOF_HOOK)
    )


def sign_up_available() -> bool:
    return bool(hooks.get_hooks(PROOF_HOOK))


@transaction.atomic
def sign_up(
    *,
    email: str,
    password: str,
    customer_number: str,
    invoice_number: str,
    gross_amount: Decimal,
    base_url: str,
    request=None,
) -> bool:
    """Check the proof and, if it holds, e-mail a confirmation link. True if the proof held.

    An address that has a login already gets a message saying so instead of a link.
    """
    email = email.strip().lower()
    customer = Customer.objects.filter(number=customer_number.strip()).first()
    if customer is None or not proof_holds(customer, invoice_number.strip(), gross_amount):
        audit.record(
            AuditEvent.Action.LOGIN_FAILED,
            request,
            actor=None,
            subject_email=email,
            step="sign-up proof refused",
        )
        return False
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        send_email(email, "customers/email/signup_existing", {"customer": customer})
        return True
    user = User.objects.create_user(email, password, is_active=False)
    token = signing.dumps({"user": user.pk, "customer": customer.pk}, salt=LINK_SALT)
    send_email(
        email,
        "customers/email/signup_confirm",
        {"customer": customer, "url": base_url + reverse("customer:signup_confirm", args=[token])},
    )
    return True


def signup_link_valid(token: str) -> bool:
    """Whether the link is genuine, unexpired and not used yet (without using it)."""
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=LINK_MAX_AGE)
    except signing.BadSignature:
        return False
    return User.objects.filter(pk=data.get("user"), is_active=False).exists()


@transaction.atomic
def confirm(token: str) -> Membership:
    """Activate the login; it owns the customer, or waits for the owner's approval."""
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=LINK_MAX_AGE)
    except signing.BadSignature as error:
        raise SignUpError from error
    user = User.objects.select_for_update().filter(pk=data["user"]).first()
    customer = Customer.objects.filter(pk=data["customer"]).first()
    if user is None or customer is None or user.is_active:
        raise SignUpError
    user.is_active = True
    user.save(update_fields=["is_active"])
    has_owner = Membership.objects.active().filter(customer=customer, role=Role.OWNER).exists()
    membership = Membership.objects.create(
        user=user,
        customer=customer,
        role=Role.READ_ONLY if has_owner else Role.OWNER,
        status=Membership.Status.PENDING if has_owner else Membership.Status.ACTIVE,
    )
    audit.record(
        AuditEvent.Action.ACTIVATED, actor=user, customer=customer, obj=membership, step="sign-up"
    )
    return membership
