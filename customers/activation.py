"""Portal access in two parts: part A printed in a letter, part B sent by e-mail.

Only hashes of the parts are stored; the plain parts exist while the letters and the
e-mails are made and are then gone.
"""

from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from documents.pdf import Company, Letter, render_letters
from notifications.events import emit
from notifications.services import send_email

from . import audit
from .models import (
    AccessBatch,
    ActivationCode,
    AuditEvent,
    Customer,
    Membership,
    Role,
    User,
)
from .models.activation import hash_code_part, new_code_part


@dataclass(frozen=True)
class IssuedAccess:
    customer: Customer
    code: ActivationCode
    part_a: str
    part_b: str


class ActivationError(Exception):
    """Activation refused; the message is safe to show (it names no customer)."""


@transaction.atomic
def issue_access(customers: list[Customer], staff: User | None) -> list[IssuedAccess]:
    """New codes for each customer; earlier unused codes of theirs stop working."""
    now = timezone.now()
    issued = []
    ActivationCode.objects.usable(now).filter(customer__in=customers).update(revoked_at=now)
    for customer in customers:
        part_a, part_b = new_code_part(), new_code_part()
        code = ActivationCode.objects.create(
            customer=customer,
            email=customer.email,
            part_a_hash=hash_code_part(part_a),
            part_b_hash=hash_code_part(part_b),
            created_by=staff,
            expires_at=ActivationCode.default_expiry(),
        )
        audit.record(AuditEvent.Action.ACCESS_GENERATED, actor=staff, customer=customer, obj=code)
        issued.append(IssuedAccess(customer, code, part_a, part_b))
    return issued


def access_letters(issued: list[IssuedAccess], company: Company, on_progress=None) -> bytes:
    """The activation letters, one a page, in Polish (the language of the paper post)."""
    with translation.override("pl"):
        letters = [
            Letter(
                recipient_name=item.customer.name,
                recipient_lines=item.customer.correspondence_address_lines,
                place_and_date=f"{company.city}, {date_format(timezone.localdate(), 'j E Y')}",
                subject=_("Your access to the customer portal"),
                paragraphs=[
                    _(
                        "We have prepared access to the customer portal for you. There you "
                        "will see your invoices and balance, pay, submit meter readings and "
                        "file requests at any time."
                    ),
                    _(
                        "To activate it, open the portal, choose “Activate access” and enter "
                        "your customer number, part A of the code printed below and part B, "
                        "which we have sent to %(email)s."
                    )
                    % {"email": item.code.email},
                    _("The code is valid until %(date)s and works once.")
                    % {"date": date_format(timezone.localtime(item.code.expires_at), "j E Y")},
                ],
                highlight=[
                    (_("Customer number"), item.customer.number),
                    (_("Code, part A"), item.part_a),
                ],
                closing=_("Customer service"),
            )
            for item in issued
        ]
        return render_letters(company, letters, on_progress=on_progress)


def email_part_b(issued: list[IssuedAccess]) -> None:
    for item in issued:
        send_email(
            item.code.email,
            "customers/email/activation_part_b",
            {"customer": item.customer, "part_b": item.part_b, "expires_at": item.code.expires_at},
        )


def run_access_batch(batch: AccessBatch, company: Company) -> None:
    """Issue codes for the batch's customers, lay out the letters, then send parts B.

    If anything fails, the codes of the batch are revoked again and no e-mail leaves:
    the customers' access is as it was.
    """
    customers = list(batch.customers.order_by("number"))
    AccessBatch.objects.filter(pk=batch.pk).update(
        status=AccessBatch.Status.RUNNING, total=len(customers), done=0
    )
    issued: list[IssuedAccess] = []
    try:
        issued = issue_access(customers, batch.created_by)

        def progress(done: int) -> None:
            AccessBatch.objects.filter(pk=batch.pk).update(done=done)

        pdf = access_letters(issued, company, on_progress=progress)
        with transaction.atomic():
            batch.letters.save(f"access-letters-{batch.pk}.pdf", ContentFile(pdf), save=False)
            batch.status = AccessBatch.Status.DONE
            batch.done = batch.total = len(issued)
            batch.save(update_fields=["letters", "status", "done", "total"])
            email_part_b(issued)
    except Exception as error:
        ActivationCode.objects.filter(pk__in=[item.code.pk for item in issued]).update(
            revoked_at=timezone.now()
        )
        AccessBatch.objects.filter(pk=batch.pk).update(
            status=AccessBatch.Status.FAILED, error=str(error)[:2000]
        )
        raise


def activate(
    *, customer_number: str, part_a: str, part_b: str, user: User | None, password: str = ""
) -> Membership:
    """Turn a valid two-part code into an owner membership of the customer.

    A signed-in user gets the customer added to their login; otherwise a login is made
    for the e-mail address part B went to, with `password`. A wrong pair counts
    against the customer's code, which locks after five misses.
    """
    error = _("These details do not match an active code.")
    with transaction.atomic():
        code = (
            ActivationCode.objects.usable()
            .select_for_update()
            .select_related("customer")
            .filter(customer__number=customer_number.strip())
            .first()
        )
        if code is None:
            raise ActivationError(error)
        if not code.matches(part_a, part_b):
            code.failed_attempts += 1
            if code.failed_attempts >= ActivationCode.MAX_FAILED_ATTEMPTS:
                code.locked_at = timezone.now()
            code.save(update_fields=["failed_attempts", "locked_at"])
            missed = True
        else:
            missed = False
            if user is None:
                if User.objects.filter(email__iexact=code.email).exists():
                    raise ActivationError(
                        _("A login for %(email)s exists already: log in, then activate.")
                        % {"email": code.email}
                    )
                first_name, _sep, last_name = (
                    code.customer.name.partition(" ")
                    if code.customer.kind == Customer.Kind.PERSON
                    else ("", "", "")
                )
                user = User.objects.create_user(
                    code.email, password, first_name=first_name, last_name=last_name
                )
            code.used_at = timezone.now()
            code.used_by = user
            code.save(update_fields=["used_at", "used_by"])
            membership, _created = Membership.objects.update_or_create(
                user=user,
                customer=code.customer,
                defaults={"role": Role.OWNER, "status": Membership.Status.ACTIVE},
            )
            emit(
                "account.activated",
                {
                    "customer": code.customer.number,
                    "membership": membership.public_id,
                    "role": membership.role,
                    "at": code.used_at,
                },
            )
    if missed:
        # The miss above is committed on purpose: it counts although activation fails.
        raise ActivationError(error)
    return membership
