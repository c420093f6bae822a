from datetime import time

import pytest


@pytest.fixture
def desk(db, django_user_model):
    """A working calendar (8–16, Monday–Friday), a team with its lead, a complaint type with
    a small form, and an owner of a customer with one service point."""
    from types import SimpleNamespace

    from django.contrib.auth.models import Group

    from servicedesk.models import Team, WorkingCalendar
    from tests.factories import MembershipFactory, ServicePointFactory, complaint_type

    calendar = WorkingCalendar.objects.create(name="BOK", opens_at=time(8), closes_at=time(16))
    lead = django_user_model.objects.create_user(
        email="lead@example.pl", password="x", is_staff=True
    )
    agent = django_user_model.objects.create_user(
        email="agent@example.pl", password="x", is_staff=True
    )
    group = Group.objects.create(name="Reklamacje")
    group.user_set.add(lead, agent)
    team = Team.objects.create(group=group, lead=lead)
    complaint = complaint_type(team=team, calendar=calendar)
    owner = MembershipFactory(role="owner")
    point = ServicePointFactory(customer=owner.customer, postal_code="05-500", city="Piaseczno")
    return SimpleNamespace(
        calendar=calendar,
        lead=lead,
        agent=agent,
        team=team,
        group=group,
        complaint=complaint,
        owner=owner,
        point=point,
    )


@pytest.fixture
def filed(desk):
    """A complaint filed by the desk's owner, nobody assigned yet."""
    from servicedesk import services

    return services.file_request(
        membership=desk.owner,
        user=desk.owner.user,
        request_type=desk.complaint,
        data={"invoice": "FV/1", "what": "Za dużo"},
        subject="Reklamacja: FV/1",
    )
