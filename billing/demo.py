"""Demo billing history: two years of monthly bills for the household, quarterly bills with
several VAT rates for the business, an advance schedule for the cooperative."""

from datetime import date, timedelta
from decimal import Decimal

from customers.models import Customer, ServicePoint

from .models import AdvanceInstalment, Invoice, InvoiceLine, Payment
from .services import book_payment, line_amounts

D = Decimal


def _month(year: int, month: int, shift: int) -> date:
    index = year * 12 + (month - 1) + shift
    return date(index // 12, index % 12 + 1, 1)


def _invoice(customer, point, number, issued: date, lines, kind=Invoice.Kind.VAT) -> Invoice:
    invoice = Invoice.objects.create(
        customer=customer,
        service_point=point,
        kind=kind,
        number=number,
        issue_date=issued,
        sale_date=issued - timedelta(days=1),
        due_date=issued + timedelta(days=14),
        net_total=D("0"),
        vat_total=D("0"),
        gross_total=D("0"),
        external_id=f"ERP-{number}",
    )
    for position, (description, quantity, unit, price, rate) in enumerate(lines, 1):
        net, vat, gross = line_amounts(D(quantity), D(price), rate)
        InvoiceLine.objects.create(
            invoice=invoice,
            position=position,
            description=description,
            quantity=quantity,
            unit=unit,
            unit_net_price=price,
            vat_rate=rate,
            net=net,
            vat=vat,
            gross=gross,
        )
        invoice.net_total += net
        invoice.vat_total += vat
        invoice.gross_total += gross
    invoice.save(update_fields=["net_total", "vat_total", "gross_total"])
    return invoice


def seed_demo_billing(context) -> None:
    today = date.today()
    household = Customer.objects.get(number="100001")
    if not Invoice.objects.filter(customer=household).exists():
        point = ServicePoint.objects.get(code="PL0037100001000001")
        for shift in range(-23, 1):
            issued = _month(today.year, today.month, shift).replace(day=3)
            kwh = context.rng.randint(140, 260)
            invoice = _invoice(
                household,
                point,
                f"FV/{issued:%Y/%m}/1{shift + 24:05d}",
                issued,
                [
                    ("Energia elektryczna czynna — taryfa G11", str(kwh), "kWh", "0.6212", "23"),
                    ("Opłata dystrybucyjna zmienna", str(kwh), "kWh", "0.3046", "23"),
                    ("Opłata handlowa", "1", "mies.", "12.5000", "23"),
                    ("Opłata mocowa", "1", "mies.", "9.8600", "23"),
                ],
            )
            if shift <= -3:  # the last three stay open: two overdue, one not yet due
                book_payment(
                    customer=household,
                    amount=invoice.gross_total,
                    received_on=invoice.due_date - timedelta(days=context.rng.randint(0, 9)),
                    kind=Payment.Kind.TRANSFER,
                    title=f"Zapłata za {invoice.number}",
                    external_id=f"DEMO-PAY-{invoice.number}",
                )

    business = Customer.objects.get(number="200001")
    if not Invoice.objects.filter(customer=business).exists():
        point = ServicePoint.objects.get(code="PL0037200001000001")
        for quarter in range(-7, 1):
            issued = _month(today.year, today.month, quarter * 3).replace(day=5)
            mwh = context.rng.randint(18, 32)
            invoice = _invoice(
                business,
                point,
                f"FV/{issued:%Y/%m}/2{quarter + 8:05d}",
                issued,
                [
                    (
                        "Energia elektryczna czynna — taryfa C21",
                        str(mwh * 1000),
                        "kWh",
                        "0.5830",
                        "23",
                    ),
                    ("Opłata dystrybucyjna stała", "3", "mies.", "210.0000", "23"),
                    ("Dostawa wody — przyłącze magazynu", "180", "m³", "6.4200", "8"),
                    ("Usługa serwisowa układu pomiarowego", "1", "usł.", "350.0000", "23"),
                    ("Opłata za wydanie duplikatu dokumentu", "1", "szt.", "20.0000", "zw"),
                ],
            )
            if quarter < 0:
                book_payment(
                    customer=business,
                    amount=invoice.gross_total,
                    received_on=invoice.due_date,
                    kind=Payment.Kind.TRANSFER,
                    title=invoice.number,
                    named_invoice=invoice,
                    external_id=f"DEMO-PAY-{invoice.number}",
                )

    cooperative = Customer.objects.get(number="300001")
    if not AdvanceInstalment.objects.filter(customer=cooperative).exists():
        point = ServicePoint.objects.get(code="CW-PRZYLESIE-01")
        for shift in range(-9, 3):
            due = _month(today.year, today.month, shift).replace(day=10)
            AdvanceInstalment.objects.create(
                customer=cooperative,
                service_point=point,
                schedule=f"Prognoza {today.year}",
                due_date=due,
                amount=D("18450.00"),
                external_id=f"DEMO-ADV-{due:%Y-%m}",
            )
            if shift < -1:
                book_payment(
                    customer=cooperative,
                    amount=D("18450.00"),
                    received_on=due,
                    kind=Payment.Kind.TRANSFER,
                    title=f"Zaliczka {due:%m/%Y}",
                    external_id=f"DEMO-PAY-ADV-{due:%Y-%m}",
                )
    context.notes.append(
        "Billing: 24 monthly invoices for 100001 (the last three open), 8 quarterly for 200001, "
        "an advance schedule for 300001."
    )
