"""The kinds of ERP records the portal imports, by the name the command and the API use."""

from . import access, billing, contracts, customers, metering
from .base import Kind, Record, RowError

KINDS: dict[str, type[Kind]] = {
    kind.name: kind
    for module in (customers, access, billing, contracts, metering)
    for kind in module.KINDS_HERE
}

__all__ = ["KINDS", "Kind", "Record", "RowError"]
