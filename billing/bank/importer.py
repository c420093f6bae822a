"""Booking a bank statement: each credit becomes a payment of the customer it belongs to.

A credit is matched by the customer's individual account number (mass-payment virtual
accounts), else by an invoice number in the title; anything else waits in the admin
for review. Importing the same statement again adds nothing.
"""

import hashlib
import re
from dataclasses import dataclass, field

from django.db import transaction

from customers.models import Customer

from ..models import BankCredit, Invoice, Payment
from ..services import book_payment
from .parsers import Credit, Statement, StatementError, parse

ACCOUNT_DIGITS = re.compile(r"(?<!\d)(\d{2}[ ]?(?:\d{4}[ ]?){6})(?!\d)")
INVOICE_NUMBER = re.compile(r"\b(?:FV|FK|FA|PF)[/\-][\w/\-]+", re.IGNORECASE)


@dataclass
class ImportResult:
    booked: int = 0
    to_review: int = 0
    already_imported: int = 0
    messages: list[str] = field(default_factory=list)


def import_statement(data: bytes, *, own_account: str, filename: str = "") -> ImportResult:
    """Parse and book one statement, all or nothing.

    Raises StatementError for a file that is not a statement, is for another account,
    or is not in PLN.
    """
    statement = parse(data, filename)
    _check_account(statement, own_account)
    if statement.currency and statement.currency != "PLN":
        raise StatementError(
            f"the statement is in {statement.currency}; only PLN statements are booked"
        )
    result = ImportResult()
    with transaction.atomic():
        for credit in statement.credits:
            _book(credit, statement, filename, result)
    return result


def _check_account(statement: Statement, own_account: str) -> None:
    own = re.sub(r"\D", "", own_account)[-26:]
    theirs = re.sub(r"\D", "", statement.account)[-26:]
    if not own:
        raise StatementError("the company's bank account is not set in the site settings")
    if theirs != own:
        raise StatementError(
            f"the statement is for account {statement.account or '(none)'}, "
            f"not the company's account {own_account}"
        )


def _book(credit: Credit, statement: Statement, filename: str, result: ImportResult) -> None:
    key = hashlib.sha256(
        "|".join(
            [
                statement.account,
                credit.booked_on.isoformat(),
                str(credit.amount),
                credit.reference,
                credit.title,
            ]
        ).encode()
    ).hexdigest()
    if BankCredit.objects.filter(dedupe_key=key).exists():
        result.already_imported += 1
        return
    customer, invoice = _match(credit.title)
    bank_credit = BankCredit(
        account=statement.account,
        booked_on=credit.booked_on,
        amount=credit.amount,
        currency=credit.currency or statement.currency,
        title=credit.title,
        reference=credit.reference,
        dedupe_key=key,
        customer=customer,
        source=filename[:200],
        status=BankCredit.Status.MATCHED if customer else BankCredit.Status.UNMATCHED,
    )
    if customer is not None:
        bank_credit.payment = book_payment(
            customer=customer,
            amount=credit.amount,
            received_on=credit.booked_on,
            kind=Payment.Kind.TRANSFER,
            title=credit.title[:300],
            named_invoice=invoice,
            external_id=f"bank:{key}",
        )
        result.booked += 1
    else:
        result.to_review += 1
    bank_credit.save()


def _match(title: str) -> tuple[Customer | None, Invoice | None]:
    """The customer whose individual account appears in the title, else the invoice's."""
    for candidate in ACCOUNT_DIGITS.findall(title):
        digits = re.sub(r"\D", "", candidate)
        customer = Customer.objects.filter(bank_account=f"PL{digits}").first()
        if customer is not None:
            return customer, _named_invoice(title, customer)
    for number in INVOICE_NUMBER.findall(title):
        invoice = Invoice.objects.filter(number__iexact=number.rstrip("/-")).first()
        if invoice is not None:
            return invoice.customer, invoice
    return None, None


def _named_invoice(title: str, customer: Customer) -> Invoice | None:
    for number in INVOICE_NUMBER.findall(title):
        invoice = Invoice.objects.filter(customer=customer, number__iexact=number).first()
        if invoice is not None:
            return invoice
    return None
