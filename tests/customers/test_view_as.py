import pytest
from django.urls import reverse

from customers.models import AuditEvent, Membership

pytestmark = pytest.mark.django_db


def start(staff_client, customer):
    return staff_client.post(reverse("customers_view_as", args=[customer.pk]))


def test_staff_see_the_customer_area_read_only_with_a_banner(
    staff_client, two_customers, home_page
):
    a = two_customers.a
    response = start(staff_client, a.customer)
    assert response["Location"] == reverse("customer:dashboard")
    html = staff_client.get(reverse("customer:dashboard")).content.decode()
    assert "view-as-banner" in html
    assert a.service_point.code in html
    assert two_customers.b.customer.number not in html
    assert AuditEvent.objects.filter(action="impersonation", customer=a.customer).exists()


def test_nothing_can_be_changed_while_viewing(staff_client, two_customers, home_page):
    a = two_customers.a
    start(staff_client, a.customer)
    response = staff_client.post(
        reverse("customer:revoke_member", args=[a.billing_membership.public_id])
    )
    assert response.status_code == 403
    a.billing_membership.refresh_from_db()
    assert a.billing_membership.status == Membership.Status.ACTIVE
    assert (
        staff_client.post(reverse("customer:contact_change"), {"email": "x@example.pl"}).status_code
        == 403
    )
    assert staff_client.get(reverse("customer:members")).status_code == 403  # read-only role


def test_stopping_returns_to_the_admin_and_is_audited(staff_client, two_customers, home_page):
    a = two_customers.a
    start(staff_client, a.customer)
    response = staff_client.post(reverse("customer:stop_viewing_as"))
    assert response["Location"] == f"/admin/customers/customer/inspect/{a.customer.pk}/"
    assert "view-as-banner" not in staff_client.get("/").content.decode()
    steps = list(
        AuditEvent.objects.filter(action="impersonation").values_list("detail__step", flat=True)
    )
    assert sorted(steps) == ["start", "stop"]


def test_customers_cannot_view_as_anyone(client, two_customers, home_page):
    client.force_login(two_customers.a.owner)
    response = client.post(reverse("customers_view_as", args=[two_customers.b.customer.pk]))
    assert response.status_code in (302, 403)
    html = client.get(reverse("customer:dashboard")).content.decode()
    assert two_customers.b.customer.number not in html
