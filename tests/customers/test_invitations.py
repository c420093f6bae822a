import re

import pytest
from django.core import mail
from django.urls import reverse

from customers.models import Invitation, Membership
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Zielona-Lampa-nad-Wisłą-7"


def invite(client, django_capture_on_commit_callbacks, **data):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("customer:members"), data)


def link_from_mail() -> str:
    return (
        re.search(r"https?://\S+", mail.outbox[-1].body).group().removeprefix("http://testserver")
    )


def test_owner_invites_a_technician_for_one_service_point(
    client, two_customers, home_page, django_capture_on_commit_callbacks
):
    a = two_customers.a
    client.force_login(a.owner)
    response = invite(
        client,
        django_capture_on_commit_callbacks,
        email="Serwis@Example.pl",
        role="technical",
        service_points=[a.service_points[1].pk],
    )
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["serwis@example.pl"]
    link = link_from_mail()

    client.logout()
    page = client.get(link)
    assert a.customer.name in page.content.decode()
    response = client.post(link, {"password1": PASSWORD, "password2": PASSWORD})
    assert response["Location"] == reverse("customer:dashboard")
    membership = Membership.objects.get(user__email="serwis@example.pl")
    assert membership.role == "technical"
    assert list(membership.service_points.all()) == [a.service_points[1]]
    assert client.get(link).status_code == 404  # used


def test_invitation_for_an_existing_login_needs_that_login(
    client, two_customers, home_page, django_capture_on_commit_callbacks
):
    a = two_customers.a
    existing = UserFactory(email="ksiegowa@example.pl")
    client.force_login(a.owner)
    invite(client, django_capture_on_commit_callbacks, email=existing.email, role="billing")
    link = link_from_mail()

    client.force_login(UserFactory(email="ktos.inny@example.pl"))
    client.post(link)
    assert not Membership.objects.filter(customer=a.customer, user__email="ktos.inny@example.pl")

    client.force_login(existing)
    client.post(link)
    assert Membership.objects.get(user=existing, customer=a.customer).role == "billing"


def test_inviting_a_current_user_is_refused_on_the_email_field(
    client, two_customers, home_page, django_capture_on_commit_callbacks
):
    a = two_customers.a
    client.force_login(a.owner)
    response = invite(
        client, django_capture_on_commit_callbacks, email=a.billing.email, role="read_only"
    )
    assert response.status_code == 200
    assert a.billing.email in response.content.decode()
    assert not Invitation.objects.filter(email=a.billing.email).exists()
    assert mail.outbox == []


def test_withdrawn_invitation_stops_working(
    client, two_customers, home_page, django_capture_on_commit_callbacks
):
    a = two_customers.a
    client.force_login(a.owner)
    invite(client, django_capture_on_commit_callbacks, email="nowy@example.pl", role="read_only")
    link = link_from_mail()
    invitation = Invitation.objects.get(email="nowy@example.pl")
    client.post(reverse("customer:revoke_invitation", args=[invitation.public_id]))
    client.logout()
    assert client.get(link).status_code == 404


def test_billing_user_cannot_invite(client, two_customers, home_page):
    client.force_login(two_customers.a.billing)
    response = client.post(reverse("customer:members"), {"email": "x@example.pl", "role": "owner"})
    assert response.status_code == 403
    assert not Invitation.objects.filter(email="x@example.pl").exists()


def test_owner_cannot_offer_another_customers_service_point(
    client, two_customers, home_page, django_capture_on_commit_callbacks
):
    client.force_login(two_customers.a.owner)
    response = invite(
        client,
        django_capture_on_commit_callbacks,
        email="x@example.pl",
        role="technical",
        service_points=[two_customers.b.service_point.pk],
    )
    assert response.status_code == 200
    assert not Invitation.objects.filter(email="x@example.pl").exists()
