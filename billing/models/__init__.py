from .invoices import Invoice, InvoiceLine, VatRate
from .online import OnlinePayment
from .payments import AdvanceInstalment, Allocation, Payment

__all__ = [
    "AdvanceInstalment",
    "Allocation",
    "Invoice",
    "InvoiceLine",
    "OnlinePayment",
    "Payment",
    "VatRate",
]
