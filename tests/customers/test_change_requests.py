import time

import pytest
from django.core import mail
from django.urls import reverse

from customers.models import ChangeRequest
from customers.stepup import SESSION_KEY

pytestmark = pytest.mark.django_db

REFUND = "PL61109010140000071219812874"


def billing_form(customer, **changes):
    data = {
        "name": customer.name,
        "nip": customer.nip,
        "regon": customer.regon,
        "billing_street": customer.billing_street,
        "billing_postal_code": customer.billing_postal_code,
        "billing_city": customer.billing_city,
        "correspondence_street": "",
        "correspondence_postal_code": "",
        "correspondence_city": "",
        "refund_bank_account": customer.refund_bank_account,
    }
    return {**data, **changes}


@pytest.fixture
def owner_client(client, two_customers, home_page):
    client.force_login(two_customers.a.owner)
    session = client.session
    session[SESSION_KEY] = time.time()
    session.save()
    return client


def test_billing_change_waits_for_approval_then_applies(
    owner_client, staff_client, two_customers, django_capture_on_commit_callbacks
):
    a = two_customers.a.customer
    response = owner_client.post(
        reverse("customer:billing_data_change"),
        billing_form(a, refund_bank_account="61 1090 1014 0000 0712 1981 2874"),
    )
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.refund_bank_account == ""  # not yet
    change = ChangeRequest.objects.get()
    assert change.changes == {"refund_bank_account": ["", REFUND]}

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("customers_decide_change_request", args=[change.pk]), {"decision": "approve"}
        )
    a.refresh_from_db()
    assert a.refund_bank_account == REFUND
    assert mail.outbox[-1].to == [two_customers.a.owner.email]


def test_rejected_change_leaves_the_data_and_says_why(
    owner_client, staff_client, two_customers, django_capture_on_commit_callbacks
):
    a = two_customers.a.customer
    owner_client.post(reverse("customer:billing_data_change"), billing_form(a, name="Nowa Nazwa"))
    change = ChangeRequest.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("customers_decide_change_request", args=[change.pk]),
            {"decision": "reject", "reason": "Brak dokumentu"},
        )
    a.refresh_from_db()
    assert a.name == "Klient A"
    assert "Brak dokumentu" in mail.outbox[-1].body
    with pytest.raises(ValueError):
        change.refresh_from_db()
        change.set_status("approved")


def test_invalid_nip_is_named_and_nothing_is_requested(owner_client, two_customers):
    response = owner_client.post(
        reverse("customer:billing_data_change"),
        billing_form(two_customers.a.customer, nip="1234567890"),
    )
    assert response.status_code == 200
    assert "nip" in response.context["form"].errors
    assert not ChangeRequest.objects.exists()


def test_billing_change_needs_a_fresh_password(client, two_customers, home_page):
    client.force_login(two_customers.a.owner)
    session = client.session
    session[SESSION_KEY] = time.time() - 3600
    session.save()
    response = client.get(reverse("customer:billing_data_change"))
    assert response["Location"].startswith(reverse("customer:confirm_identity"))


def test_contact_preferences_apply_at_once(owner_client, two_customers):
    a = two_customers.a.customer
    owner_client.post(
        reverse("customer:contact_change"),
        {"email": "nowy@example.pl", "phone": "+48 600 000 000", "e_invoice_consent": "on"},
    )
    a.refresh_from_db()
    assert (a.email, a.e_invoice_consent) == ("nowy@example.pl", True)


def test_billing_only_user_cannot_ask_for_changes(client, two_customers, home_page):
    client.force_login(two_customers.a.billing)
    assert client.get(reverse("customer:billing_data_change")).status_code in (302, 403)
    session = client.session
    session[SESSION_KEY] = time.time()
    session.save()
    assert client.get(reverse("customer:billing_data_change")).status_code == 403
