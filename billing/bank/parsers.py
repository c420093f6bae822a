"""Reading bank statements: MT940 (the mt-940 package) and camt.053 (ISO 20022 XML).

A parser returns the statement's account and currency and its credit lines, or a
StatementError that says which line is wrong. It never lets a traceback through.
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

import mt940
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException


class StatementError(Exception):
    """The file is not a statement we can read; the message names the line."""


@dataclass(frozen=True)
class Credit:
    booked_on: date
    amount: Decimal
    currency: str
    title: str
    reference: str


@dataclass
class Statement:
    account: str
    currency: str
    credits: list[Credit]


TAG = re.compile(r"^:(\d{2}[A-Z]?):")


def parse(data: bytes, filename: str = "") -> Statement:
    text = data.lstrip()
    if text.startswith(b"<"):
        return parse_camt053(data)
    return parse_mt940(data)


def parse_mt940(data: bytes) -> Statement:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1250", errors="replace")
    _check_mt940_structure(text)
    try:
        transactions = mt940.models.Transactions()
        transactions.parse(text)
    except Exception as error:  # noqa: BLE001 - the package raises many kinds
        raise StatementError(f"MT940: {error}") from error
    account = _compact_account(str(transactions.data.get("account_identification") or ""))
    balance = transactions.data.get("final_opening_balance") or transactions.data.get(
        "opening_balance"
    )
    currency = getattr(getattr(balance, "amount", None), "currency", None) or ""
    credits = []
    for transaction in transactions:
        amount = transaction.data.get("amount")
        if amount is None or transaction.data.get("status") not in ("C", "RD"):
            continue
        details = " ".join(
            str(transaction.data.get(key) or "")
            for key in ("transaction_details", "extra_details", "customer_reference")
        )
        credits.append(
            Credit(
                booked_on=transaction.data.get("entry_date") or transaction.data["date"],
                amount=Decimal(str(amount.amount)),
                currency=amount.currency or currency,
                title=" ".join(details.split()),
                reference=str(transaction.data.get("bank_reference") or ""),
            )
        )
        currency = currency or amount.currency or ""
    return Statement(account=account, currency=currency or "", credits=credits)


def _check_mt940_structure(text: str) -> None:
    """What the lenient package does not check: the fields every statement must have.

    Lines before the first tag (SWIFT or bank headers) are allowed.
    """
    lines = text.splitlines()
    seen = {match.group(1) for line in lines if (match := TAG.match(line))}
    if not seen:
        raise StatementError("line 1: not an MT940 statement (no :NN: tags)")
    for tag, what in (("20", "transaction reference"), ("25", "account")):
        if tag not in seen:
            raise StatementError(f"line {len(lines)}: the statement has no :{tag}: ({what})")
    if not seen & {"60F", "60M", "34F"}:
        raise StatementError(f"line {len(lines)}: the statement has no opening balance (:60F:)")
    for number, line in enumerate(lines, 1):
        if line.startswith(":61:") and not re.match(r"^:61:\d{6}", line):
            raise StatementError(f"line {number}: a :61: entry must start with its value date")


NS = {"c": "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"}


def parse_camt053(data: bytes) -> Statement:
    try:
        root = ElementTree.fromstring(data)
    except (ElementTree.ParseError, DefusedXmlException) as error:
        position = getattr(error, "position", None)
        where = f"line {position[0]}" if position else "the file"
        raise StatementError(f"camt.053: {where}: {error}") from error
    namespace = root.tag.split("}")[0].strip("{") if root.tag.startswith("{") else ""
    if "camt.053" not in namespace:
        raise StatementError("camt.053: not a camt.053 document")
    ns = {"c": namespace}
    statement = root.find("c:BkToCstmrStmt/c:Stmt", ns)
    if statement is None:
        raise StatementError("camt.053: no statement (Stmt) in the document")
    account = statement.findtext("c:Acct/c:Id/c:IBAN", default="", namespaces=ns)
    currency = statement.findtext("c:Acct/c:Ccy", default="", namespaces=ns)
    credits = []
    for number, entry in enumerate(statement.findall("c:Ntry", ns), 1):
        if entry.findtext("c:CdtDbtInd", namespaces=ns) != "CRDT":
            continue
        amount_node = entry.find("c:Amt", ns)
        try:
            amount = Decimal(amount_node.text)
            booked = date.fromisoformat(entry.findtext("c:BookgDt/c:Dt", namespaces=ns))
        except (AttributeError, TypeError, ValueError, InvalidOperation) as error:
            raise StatementError(f"camt.053: entry {number}: {error}") from error
        title = " ".join(text.strip() for text in entry.itertext() if text and text.strip())
        credits.append(
            Credit(
                booked_on=booked,
                amount=amount,
                currency=amount_node.get("Ccy", currency),
                title=" ".join(title.split())[:2000],
                reference=entry.findtext("c:AcctSvcrRef", default="", namespaces=ns),
            )
        )
        currency = currency or amount_node.get("Ccy", "")
    return Statement(account=_compact_account(account), currency=currency, credits=credits)


def _compact_account(value: str) -> str:
    return re.sub(r"\s", "", value).upper()
