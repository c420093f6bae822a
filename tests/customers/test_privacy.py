"""The user's privacy tools: downloading their personal data and closing their portal login."""

import io
import json
import zipfile

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail import hooks

from customers.models import AuditEvent, Membership
from customers.privacy import build_personal_data_zip
from tests.factories import PASSWORD, CustomerFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def export(client) -> tuple[zipfile.ZipFile, dict]:
    response = client.post(reverse("customer:privacy_export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "private, no-store"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    return archive, json.loads(archive.read("data.json").decode("utf-8"))


def everything_in(archive: zipfile.ZipFile) -> str:
    return "\n".join(archive.read(name).decode("utf-8") for name in archive.namelist())


def secrets_of(side) -> list[str]:
    return [
        side.customer.number,
        side.customer.name,
        side.customer.email,
        *(point.code for point in side.service_points),
        side.owner.email,
        side.billing.email,
        side.technician.email,
    ]


def close(client, **data):
    return client.post(reverse("customer:close_account"), data)


def login(client, email, password):
    return client.post(
        reverse("two_factor:login"),
        {"login_view-current_step": "auth", "auth-username": email, "auth-password": password},
    )


def test_export_holds_the_users_data_and_nothing_of_another_customer(client, two_customers):
    a, b = two_customers.a, two_customers.b
    client.force_login(a.owner)
    archive, data = export(client)

    assert data["profile"]["email"] == a.owner.email
    assert [m["customer_number"] for m in data["memberships"]] == [a.customer.number]
    assert data["memberships"][0]["role"] == "owner"
    [customer] = data["customers"]
    assert customer["number"] == a.customer.number
    assert customer["email"] == a.customer.email
    assert "credit_limit" not in customer and "discount_percent" not in customer
    assert sorted(p["code"] for p in customer["service_points"]) == sorted(
        p.code for p in a.service_points
    )
    assert [entry["action"] for entry in data["login_history"]] == ["login"]
    assert len(data["sessions"]) == 1

    text = everything_in(archive)
    for secret in secrets_of(b):
        assert secret not in text


def test_a_membership_limited_to_one_service_point_exports_only_that_point(client, two_customers):
    a = two_customers.a
    client.force_login(a.technician)
    _, data = export(client)
    [customer] = data["customers"]
    assert [p["code"] for p in customer["service_points"]] == [a.service_points[1].code]
    assert data["memberships"][0]["service_point_codes"] == [a.service_points[1].code]
    assert a.service_points[0].code not in json.dumps(data)


def test_revoked_membership_is_listed_but_its_customer_data_is_not_exported(two_customers):
    a, b = two_customers.a, two_customers.b
    MembershipFactory(user=a.billing, customer=b.customer, role="billing", status="revoked")
    data = json.loads(
        zipfile.ZipFile(io.BytesIO(build_personal_data_zip(a.billing))).read("data.json")
    )
    assert [c["number"] for c in data["customers"]] == [a.customer.number]
    assert b.service_points[0].code not in json.dumps(data)
    assert b.customer.email not in json.dumps(data)


def test_a_user_without_customers_gets_their_profile(client):
    user = UserFactory(email="sam@example.pl")
    client.force_login(user)
    assert client.get(reverse("customer:privacy")).status_code == 200
    _, data = export(client)
    assert data["profile"]["email"] == "sam@example.pl"
    assert data["memberships"] == [] and data["customers"] == []


def test_the_export_is_recorded_in_the_audit_log(client, two_customers):
    client.force_login(two_customers.a.billing)
    export(client)
    event = AuditEvent.objects.get(action=AuditEvent.Action.DOWNLOAD)
    assert event.actor == two_customers.a.billing
    assert event.detail == {"file": "personal data export"}


def test_rooms_add_their_part_through_the_hook(client, two_customers):
    def billing_part(user):
        return {
            "billing.json": {"invoices": [{"number": "FV/1/2026", "owner": user.email}]},
            "files/invoices/FV-1-2026.pdf": b"%PDF-1.4 fake",
        }

    client.force_login(two_customers.a.owner)
    with hooks.register_temporarily("personal_data_export", billing_part):
        archive, _ = export(client)
    assert json.loads(archive.read("billing.json")) == {
        "invoices": [{"number": "FV/1/2026", "owner": two_customers.a.owner.email}]
    }
    assert archive.read("files/invoices/FV-1-2026.pdf") == b"%PDF-1.4 fake"


@pytest.mark.parametrize("bad_name", ["data.json", "../escape.json", "/etc/passwd"])
def test_a_hook_cannot_overwrite_or_escape_the_export(two_customers, bad_name):
    with (
        hooks.register_temporarily("personal_data_export", lambda user: {bad_name: b"x"}),
        pytest.raises(ValueError),
    ):
        build_personal_data_zip(two_customers.a.owner)


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("customer:privacy", "get"),
        ("customer:privacy_export", "post"),
        ("customer:close_account", "get"),
        ("customer:close_account", "post"),
    ],
)
def test_anonymous_users_are_sent_to_login(client, name, method):
    response = getattr(client, method)(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor:login"))


def test_closing_with_a_wrong_password_changes_nothing_and_names_the_field(client, two_customers):
    a = two_customers.a
    client.force_login(a.billing)
    response = close(client, password="wrong-password")
    assert response.status_code == 200
    assert response.context["form"].errors["password"] == ["Obecne hasło jest nieprawidłowe."]
    assert "Obecne hasło jest nieprawidłowe." in response.content.decode()
    a.billing.refresh_from_db()
    assert a.billing.is_active
    a.billing_membership.refresh_from_db()
    assert a.billing_membership.status == Membership.Status.ACTIVE
    assert client.get(reverse("customer:privacy")).status_code == 200


def test_closing_with_the_right_password_ends_the_login_everywhere(
    client, two_customers, home_page
):
    a = two_customers.a
    elsewhere = Client()
    assert login(elsewhere, a.billing.email, PASSWORD).status_code == 302  # the login works
    client.force_login(a.billing)

    response = close(client, password=PASSWORD)
    assert response.status_code == 302

    a.billing.refresh_from_db()
    assert not a.billing.is_active
    assert not Membership.objects.filter(user=a.billing).exclude(status="revoked").exists()
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.DATA_CHANGED,
        actor=a.billing,
        detail={"change": "portal account closed"},
    ).exists()
    # The customer and its other users are untouched.
    assert Membership.objects.get(pk=a.owner_membership.pk).status == "active"

    for browser in (client, elsewhere):
        assert "_auth_user_id" not in browser.session
        assert browser.get(reverse("customer:privacy")).status_code == 302

    fresh = Client()
    assert login(fresh, a.billing.email, PASSWORD).status_code == 200
    assert "_auth_user_id" not in fresh.session


def test_closing_with_a_second_factor_needs_a_current_code(client, two_customers):
    a = two_customers.a
    device = TOTPDevice.objects.create(user=a.billing, name="default", confirmed=True)
    client.force_login(a.billing)

    response = close(client, password=PASSWORD, otp_token="000000")
    assert "otp_token" in response.context["form"].errors
    a.billing.refresh_from_db()
    assert a.billing.is_active

    device.refresh_from_db()
    token = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    response = close(client, password=PASSWORD, otp_token=f"{token:06d}")
    assert response.status_code == 302
    a.billing.refresh_from_db()
    assert not a.billing.is_active
    assert not TOTPDevice.objects.filter(user=a.billing).exists()


def test_the_last_owner_of_a_customer_with_other_users_is_refused(client, two_customers):
    a = two_customers.a
    client.force_login(a.owner)
    assert (
        "Jesteś ostatnim właścicielem" in client.get(reverse("customer:privacy")).content.decode()
    )
    page = client.get(reverse("customer:close_account")).content.decode()
    assert "Jesteś ostatnim właścicielem" in page

    response = close(client, password=PASSWORD)
    assert response.status_code == 409
    a.owner.refresh_from_db()
    assert a.owner.is_active
    assert Membership.objects.filter(user=a.owner, status="active").count() == 1


def test_an_owner_may_close_when_another_owner_remains_or_nobody_else_uses_it(client):
    shared = CustomerFactory()
    leaving = MembershipFactory(customer=shared, role="owner").user
    MembershipFactory(customer=shared, role="owner")
    MembershipFactory(customer=CustomerFactory(), role="owner", user=leaving)  # alone there
    client.force_login(leaving)
    assert close(client, password=PASSWORD).status_code == 302
    leaving.refresh_from_db()
    assert not leaving.is_active
