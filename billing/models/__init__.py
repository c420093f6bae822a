from .bank import BankCredit
from .invoices import Invoice, InvoiceLine, VatRate
from .online import OnlinePayment
from .payments import AdvanceInstalment, Allocation, Payment

__all__ = [
    "AdvanceInstalment",
    "Allocation",
    "BankCredit",
    "Invoice",
    "InvoiceLine",
    "OnlinePayment",
    "Payment",
    "VatRate",
]
