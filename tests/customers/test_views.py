import pytest
from django.urls import reverse

from customers.models import Membership
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_customer_area_needs_a_login(client):
    response = client.get(reverse("customer:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor:login"))


def test_user_without_a_customer_is_told_how_to_get_one(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("nowy@example.pl", "x"))
    response = client.get(reverse("customer:dashboard"))
    assert response.status_code == 403
    assert "nie jest jeszcze powiązany z klientem" in response.content.decode()


def test_dashboard_shows_the_customer_and_its_service_points(client, two_customers, home_page):
    a = two_customers.a
    client.force_login(a.owner)
    html = client.get(reverse("customer:dashboard")).content.decode()
    assert a.customer.number in html
    assert a.service_point.code in html
    assert two_customers.b.customer.number not in html


def test_switching_customers_is_remembered_and_limited_to_ones_own(client, two_customers):
    a, b = two_customers.a, two_customers.b
    MembershipFactory(user=a.owner, customer=b.customer, role="read_only")
    client.force_login(a.owner)
    response = client.post(
        reverse("customer:switch"), {"customer": str(b.customer.public_id), "next": "/account/"}
    )
    assert response.status_code == 302
    a.owner.refresh_from_db()
    assert a.owner.active_customer == b.customer
    assert b.customer.number in client.get(reverse("customer:dashboard")).content.decode()

    stranger = MembershipFactory().customer
    response = client.post(reverse("customer:switch"), {"customer": str(stranger.public_id)})
    assert response.status_code == 404
    a.owner.refresh_from_db()
    assert a.owner.active_customer == b.customer


def test_switch_never_redirects_off_site(client, two_customers):
    client.force_login(two_customers.a.owner)
    response = client.post(
        reverse("customer:switch"),
        {"customer": str(two_customers.a.customer.public_id), "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("customer:dashboard")


def test_billing_only_user_cannot_manage_users(client, two_customers):
    client.force_login(two_customers.a.billing)
    assert client.get(reverse("customer:members")).status_code == 403
    html = client.get(reverse("customer:dashboard")).content.decode()
    assert reverse("customer:members") not in html


def test_owner_revokes_a_user_but_not_themself_nor_the_last_owner(client, two_customers):
    a = two_customers.a
    client.force_login(a.owner)
    client.post(reverse("customer:revoke_member", args=[a.billing_membership.public_id]))
    a.billing_membership.refresh_from_db()
    assert a.billing_membership.status == Membership.Status.REVOKED

    response = client.post(
        reverse("customer:revoke_member", args=[a.owner_membership.public_id]), follow=True
    )
    a.owner_membership.refresh_from_db()
    assert a.owner_membership.status == Membership.Status.ACTIVE
    assert "Nie możesz odebrać dostępu samemu sobie" in response.content.decode()
