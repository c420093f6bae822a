"""The company's details as the PDF kit needs them, free of any model."""

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Company:
    """Who issues the document: printed in the letterhead, footer and return line.

    A plain value, so that the kit renders in a Celery task or a test without a site,
    and ``documents`` stays below ``home`` (which holds the editable settings).
    ``nip`` and ``bank_account`` are already formatted for print.
    """

    name: str
    street: str
    postal_code: str
    city: str
    nip: str
    regon: str = ""
    bank_account: str = ""
    phone: str = ""
    email: str = ""
    logo_path: Path | None = None

    @classmethod
    def from_settings(cls, company_settings: Any) -> "Company":
        """Build from the site's company settings (duck-typed: ``home`` is a floor above).

        The logo is used only when its storage has a local path (reportlab reads a
        file); on object storage the documents go out without it rather than fail.
        """
        return cls(
            name=company_settings.name,
            street=company_settings.street,
            postal_code=company_settings.postal_code,
            city=company_settings.city,
            nip=company_settings.formatted_nip,
            regon=company_settings.regon,
            bank_account=company_settings.formatted_bank_account,
            phone=company_settings.phone,
            email=company_settings.email,
            logo_path=_local_logo_path(getattr(company_settings, "logo", None)),
        )

    @property
    def postal_address(self) -> str:
        """One line, as in a return address: "ul. Elektryczna 12, 00-950 Warszawa"."""
        return f"{self.street}, {self.postal_code} {self.city}"


def _local_logo_path(logo: Any) -> Path | None:
    if logo is None:
        return None
    try:
        path = Path(logo.file.path)
    except (AttributeError, NotImplementedError, ValueError):
        # Remote storage (S3) has no path; an image without a file has no name.
        return None
    if not path.is_file():
        logger.warning("Company logo %s is missing; documents go out without it.", path)
        return None
    return path


def issuing_company() -> Company:
    """The company that issues documents, from the `issuing_company` hook.

    The site settings that hold the company's details live on a higher floor (home/),
    which registers the hook; rooms below ask here instead of importing it.
    """
    from wagtail import hooks

    for provide in hooks.get_hooks("issuing_company"):
        company = provide()
        if company is not None:
            return company
    raise LookupError("No company details: fill in Settings → Company details.")
