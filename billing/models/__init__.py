from .invoices import Invoice, InvoiceLine, VatRate
from .payments import AdvanceInstalment, Allocation, Payment

__all__ = ["AdvanceInstalment", "Allocation", "Invoice", "InvoiceLine", "Payment", "VatRate"]
