import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_me_lists_the_users_customers_and_the_active_one(client, two_customers):
    a = two_customers.a
    client.force_login(a.billing)
    data = client.get(reverse("api-v1:me")).json()
    assert data["email"] == a.billing.email
    assert [c["customer_number"] for c in data["customers"]] == [a.customer.number]
    assert data["customers"][0]["active"] is True
    assert "pay" in data["customers"][0]["abilities"]
    assert "submit_readings" not in data["customers"][0]["abilities"]


def test_service_points_through_the_api_follow_the_membership(client, two_customers):
    a = two_customers.a
    client.force_login(a.technician)
    listed = client.get(reverse("api-v1:service-point-list")).json()["results"]
    assert [p["code"] for p in listed] == [a.service_points[1].code]
    other = reverse("api-v1:service-point-detail", args=[a.service_points[0].public_id])
    assert client.get(other).status_code == 404
    foreign = reverse("api-v1:service-point-detail", args=[two_customers.b.service_point.public_id])
    assert client.get(foreign).status_code == 404


def test_api_needs_a_login_and_a_customer(client, django_user_model):
    assert client.get(reverse("api-v1:service-point-list")).status_code == 403
    client.force_login(django_user_model.objects.create_user("nikt@example.pl", "x"))
    assert client.get(reverse("api-v1:service-point-list")).status_code == 403
