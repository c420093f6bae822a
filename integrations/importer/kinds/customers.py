"""Customers and their service points."""

from customers.models import Customer, ServicePoint

from ..columns import Column
from .base import Kind


class CustomerKind(Kind):
    name = "customers"
    model = Customer
    unique_fields = ("number",)
    fast_path = True
    touch_on_update = ("updated_at",)
    columns = [
        Column("external_id", True, example="K-000123"),
        Column("number", True, example="100123"),
        Column("name", True, example="Jan Kowalski"),
        Column("kind", example="person"),
        Column("nip", example="526-000-12-46"),
        Column("regon", example="123456785"),
        Column("email", example="jan@example.com"),
        Column("phone", example="600 100 200"),
        Column("billing_street", True, example="ul. Długa 1/2"),
        Column("billing_postal_code", True, example="00-001"),
        Column("billing_city", True, example="Warszawa"),
        Column("correspondence_street", example="ul. Krótka 3"),
        Column("correspondence_postal_code", example="00-002"),
        Column("correspondence_city", example="Warszawa"),
        Column("bank_account", example="PL61109010140000071219812874"),
        Column("refund_bank_account", example="61 1090 1014 0000 0712 1981 2874"),
        Column("credit_limit", example="1 000,00"),
        Column("discount_percent", example="5,5"),
        Column("e_invoice_consent", example="1"),
    ]


class ServicePointKind(Kind):
    name = "service_points"
    model = ServicePoint
    unique_fields = ("code",)
    fast_path = True
    columns = [
        Column("external_id", True, example="PP-0001"),
        Column("customer", True, references=Customer, example="K-000123"),
        Column("code", True, example="PL0037310000123456"),
        Column("name", example="Mieszkanie"),
        Column("street", True, example="ul. Długa 1/2"),
        Column("postal_code", True, example="00-001"),
        Column("city", True, example="Warszawa"),
        Column("service_kind", example="electricity"),
        Column("tariff", example="G11"),
        Column("status", example="active"),
    ]


KINDS_HERE = (CustomerKind, ServicePointKind)
