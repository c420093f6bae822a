"""The kinds of ERP records the portal imports, by the name the command and the API use."""

from .base import Kind, Record, RowError
from .billing import InvoiceKind, PaymentKind
from .customers import CustomerKind, ServicePointKind

KINDS: dict[str, type[Kind]] = {
    kind.name: kind for kind in (CustomerKind, ServicePointKind, InvoiceKind, PaymentKind)
}

__all__ = ["KINDS", "Kind", "Record", "RowError"]
