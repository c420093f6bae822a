"""The load scenarios, the limit each is compared with, and the targets they should meet.

Kept free of Django so that the runner can read it without loading the portal; the
requests of each scenario (one per customer, round-robin) are made by `bench/targets.py`.
"""

from dataclasses import dataclass

HELLO = "hello"
STUB = "stub"

P99_TARGET_MS = 100.0
"""Every scenario's 99th percentile at the default concurrency (32 connections)."""


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    signed_in: bool
    floor: tuple[str, float] | None = None
    """The target as a share of a limit's req/s in the same run, e.g. (STUB, 0.8)."""

    @property
    def limit(self) -> str:
        """The limit a page of this kind cannot beat: the stub for signed-in pages."""
        return STUB if self.signed_in else HELLO


SCENARIOS: list[Scenario] = [
    Scenario("home", "Home page, anonymous", signed_in=False, floor=(HELLO, 0.60)),
    Scenario("announcement", "Public announcement page", signed_in=False, floor=(HELLO, 0.60)),
    Scenario("dashboard", "Dashboard", signed_in=True, floor=(STUB, 0.80)),
    Scenario("invoices", "Invoice list, page 1", signed_in=True, floor=(STUB, 0.70)),
    Scenario("invoices_deep", "Invoice list, last page", signed_in=True),
    Scenario("invoice_pdf", "Invoice PDF", signed_in=True),
    Scenario("statement", "Statement of account", signed_in=True),
    Scenario("meter", "Meter page (readings)", signed_in=True),
    Scenario("api_invoices", "API invoice list, token", signed_in=True),
]

LIMIT_PATHS = {HELLO: "/hello/", STUB: "/stub/"}

BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}
