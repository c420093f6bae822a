"""Importing ERP exports (CSV or JSON Lines) into the portal, upserting by external_id."""

from .engine import Report, import_file
from .kinds import KINDS
from .reading import ImportRefused

__all__ = ["KINDS", "ImportRefused", "Report", "import_file"]
