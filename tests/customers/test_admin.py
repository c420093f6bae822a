import pytest
from axes.models import AccessAttempt

from customers.models import AuditEvent
from tests.factories import CustomerFactory, MembershipFactory, ServicePointFactory

pytestmark = pytest.mark.django_db


def test_staff_find_customers_by_number_name_nip_and_email(staff_client):
    CustomerFactory(
        number="123456", name="Zakład Stolarski Dąb", nip="5260250274", email="dab@example.pl"
    )
    CustomerFactory(name="Inny klient")
    for query in ("123456", "Stolarski", "5260250274", "dab@example"):
        html = staff_client.get("/admin/customers/customer/", {"q": query}).content.decode()
        assert "Zakład Stolarski Dąb" in html, query
        assert "Inny klient" not in html, query


def test_customer_card_shows_users_and_service_points(staff_client):
    membership = MembershipFactory(role="billing")
    point = ServicePointFactory(customer=membership.customer)
    url = f"/admin/customers/customer/inspect/{membership.customer.pk}/"
    html = staff_client.get(url).content.decode()
    assert membership.user.email in html
    assert point.code in html


def test_audit_log_is_read_only_in_the_admin(staff_client):
    event = AuditEvent.objects.create(action="login", subject_email="x@example.pl")
    assert staff_client.get("/admin/customers/auditevent/").status_code == 200
    assert staff_client.get(f"/admin/customers/auditevent/edit/{event.pk}/").status_code in (
        302,
        403,
    )
    with pytest.raises(ValueError):
        event.save()


def test_staff_clear_a_lockout(staff_client):
    attempt = AccessAttempt.objects.create(
        username="jan@example.pl",
        ip_address="10.0.0.1",
        failures_since_start=5,
        user_agent="",
        get_data="",
        post_data="",
        http_accept="",
        path_info="/account/login/",
    )
    assert "jan@example.pl" in staff_client.get("/admin/axes/accessattempt/").content.decode()
    staff_client.post(f"/admin/axes/accessattempt/delete/{attempt.pk}/")
    assert not AccessAttempt.objects.exists()
