"""A customer with a utility's history of a chosen length, for query-count tests.

Every widget of the dashboard has something to show (account manager, balance, invoices,
service points, consumption with an open reading window, open requests, messages,
announcements), so a count taken on it covers the whole page.
"""

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone


def months_back(today: date, months: int) -> list[date]:
    """The 10th of each of the last `months` months, oldest first."""
    index = today.year * 12 + today.month - 1
    return [
        date((index - back) // 12, (index - back) % 12 + 1, 10) for back in range(months, 0, -1)
    ]


@pytest.fixture
def announcement_board(home_page):
    """The announcement board with one announcement for all customers, valid now."""
    from announcements.models import AnnouncementIndexPage, AnnouncementPage

    board = AnnouncementIndexPage(title="Komunikaty", slug="komunikaty", intro="Tablica")
    home_page.add_child(instance=board)
    board.save_revision().publish()
    page = AnnouncementPage(
        title="Przerwa w dostawie",
        slug="przerwa",
        audience="all_customers",
        valid_from=timezone.now() - timedelta(days=1),
    )
    board.add_child(instance=page)
    page.save_revision().publish()
    return board


@pytest.fixture
def customer_with_history(home_page, announcement_board, django_user_model):
    """Makes a customer whose owner has `months` months of invoices, payments, instalments
    and readings on two service points (a two-register meter on each)."""
    from billing.models import AdvanceInstalment, Payment
    from billing.services import book_payment
    from customers.models import Contract, InboxMessage
    from metering.models import Reading
    from servicedesk.models import Request, RequestType, WorkingCalendar
    from tests.factories import (
        CustomerFactory,
        InvoiceFactory,
        MembershipFactory,
        MeterFactory,
        ReadingWindowFactory,
        SegmentFactory,
        ServicePointFactory,
        UserFactory,
        monthly_readings,
    )

    ReadingWindowFactory()  # open every day, so the dashboard asks for a reading
    calendar = WorkingCalendar.objects.create(name="BOK perf")
    request_type = RequestType.objects.create(
        slug="perf", name="Pytanie", name_en="Question", category="service", calendar=calendar
    )
    made = iter(range(1, 1000))

    def make(months: int, role: str = "owner") -> SimpleNamespace:
        n = next(made)
        today = timezone.localdate()
        manager = UserFactory(email=f"opiekun-{n}@example.pl", is_staff=True)
        customer = CustomerFactory(account_manager=manager)
        customer.segments.add(SegmentFactory(code=f"perf-{n}"))
        membership = MembershipFactory(
            customer=customer, role=role, user=UserFactory(email=f"perf-{n}@example.pl")
        )
        points = [ServicePointFactory(customer=customer) for _ in range(2)]
        meters = []
        for point in points:
            meter = MeterFactory(
                service_point=point, registers=[("1.8.1", "dzień"), ("1.8.2", "noc")]
            )
            monthly_readings(meter, months=months)
            meters.append(meter)
        invoices = []
        for number, issued in enumerate(months_back(today, months)):
            invoices.append(
                InvoiceFactory(
                    customer=customer,
                    service_point=points[number % 2],
                    number=f"FV/P{n}/{number + 1:04d}",
                    issue_date=issued,
                    due_date=issued + timedelta(days=14),
                )
            )
            AdvanceInstalment.objects.create(
                customer=customer,
                service_point=points[number % 2],
                schedule=f"H/{n}",
                due_date=issued + timedelta(days=20),
                amount=Decimal("50.00"),
            )
        # Everything but the last two months is paid (oldest due first), so some stays open.
        book_payment(
            customer=customer,
            amount=sum(i.gross_total for i in invoices[:-2]) + Decimal("50.00") * (months - 2),
            received_on=today - timedelta(days=40),
            kind=Payment.Kind.TRANSFER,
        )
        Contract.objects.create(
            customer=customer, number=f"UK/P/{n}", kind="comprehensive", start_date=date(2024, 1, 1)
        )
        now = timezone.now()
        for number in range(min(months, 12)):
            Request.objects.create(
                customer=customer,
                filed_by=membership.user,
                request_type=request_type,
                service_point=points[0],
                subject=f"Pytanie {number}",
                first_response_due=now + timedelta(hours=8),
                resolution_due=now + timedelta(days=5),
            )
            message = InboxMessage.objects.create(
                subject=f"Wiadomość {number}",
                body="<p>Treść</p>",
                audience=InboxMessage.Audience.CUSTOMERS,
                published_at=now - timedelta(days=number),
            )
            message.customers.set([customer])
            message.save()
        return SimpleNamespace(
            customer=customer,
            membership=membership,
            user=membership.user,
            points=points,
            meters=meters,
            invoices=invoices,
            months=months,
            readings=Reading.objects.filter(register__meter__in=meters).count(),
        )

    return make
