"""Households sign up with their customer number and one invoice's number and amount."""

import re
from decimal import Decimal

import pytest
from django.core import mail, signing
from django.urls import reverse
from wagtail import hooks

from customers.models import Membership
from customers.signup import LINK_SALT
from tests.factories import CustomerFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Zielona-Lampa-nad-Wisłą-7"


def invoice_check(customer, invoice_number, gross_amount):
    """Stands in for billing's check: customer 880001 has invoice FV/2026/1 for 123.45."""
    return (customer.number, invoice_number, gross_amount) == (
        "880001",
        "FV/2026/1",
        Decimal("123.45"),
    )


@pytest.fixture
def billing_check():
    with hooks.register_temporarily("verify_billing_proof", invoice_check):
        yield


@pytest.fixture
def customer(home_page):
    return CustomerFactory(number="880001", name="Ewa Lis")


def form(**changes):
    return {
        "email": "ewa@example.pl",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "customer_number": "880001",
        "invoice_number": "FV/2026/1",
        "gross_amount": "123,45",
        **changes,
    }


def post(client, capture, **changes):
    with capture(execute=True):
        return client.post(reverse("customer:signup"), form(**changes))


def test_sign_up_confirmed_by_email_makes_the_owner(
    client, customer, billing_check, django_capture_on_commit_callbacks
):
    response = post(client, django_capture_on_commit_callbacks)
    assert response["Location"] == reverse("customer:signup_sent")
    link = re.search(r"http://testserver(\S+)", mail.outbox[-1].body).group(1)
    assert client.get(link).status_code == 200  # a GET (mail scanners) confirms nothing
    response = client.post(link)
    assert response["Location"] == reverse("customer:activation_done")
    membership = Membership.objects.get(user__email="ewa@example.pl")
    assert (membership.role, membership.status) == ("owner", "active")
    assert client.post(link).status_code == 404  # once


def test_customer_with_an_owner_waits_for_approval(
    client, customer, billing_check, django_capture_on_commit_callbacks
):
    owner = MembershipFactory(customer=customer, role="owner").user
    post(client, django_capture_on_commit_callbacks)
    link = re.search(r"http://testserver(\S+)", mail.outbox[-1].body).group(1)
    client.post(link)
    pending = Membership.objects.get(user__email="ewa@example.pl")
    assert pending.status == "pending"
    assert client.get(reverse("customer:dashboard")).status_code == 403

    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("customer:decide_member", args=[pending.public_id]),
            {"decision": "approve", "role": "billing"},
        )
    pending.refresh_from_db()
    assert (pending.status, pending.role) == ("active", "billing")
    assert mail.outbox[-1].to == ["ewa@example.pl"]


@pytest.mark.parametrize(
    "changes",
    [{"invoice_number": "FV/2026/2"}, {"gross_amount": "123,46"}, {"customer_number": "999999"}],
)
def test_wrong_proof_gets_one_answer_and_changes_nothing(
    client,
    customer,
    billing_check,
    django_capture_on_commit_callbacks,
    changes,
    django_user_model,
):
    response = post(client, django_capture_on_commit_callbacks, **changes)
    assert response.status_code == 200
    assert "Nie udało się potwierdzić tych danych" in response.content.decode()
    assert not django_user_model.objects.filter(email="ewa@example.pl").exists()
    assert mail.outbox == []


def test_address_with_a_login_gets_told_by_email_not_on_the_page(
    client, customer, billing_check, django_capture_on_commit_callbacks, django_user_model
):
    UserFactory(email="ewa@example.pl")
    response = post(client, django_capture_on_commit_callbacks)
    assert response["Location"] == reverse("customer:signup_sent")
    assert django_user_model.objects.filter(email="ewa@example.pl").count() == 1
    assert "ma on już login" in mail.outbox[-1].body


def test_tampered_or_expired_links_are_refused(client, customer, django_user_model):
    user = django_user_model.objects.create_user("x@example.pl", PASSWORD, is_active=False)
    token = signing.dumps({"user": user.pk, "customer": customer.pk}, salt=LINK_SALT)
    assert client.post(reverse("customer:signup_confirm", args=[token + "x"])).status_code == 404
    expired = signing.dumps({"user": user.pk, "customer": customer.pk}, salt=LINK_SALT)
    from unittest import mock

    with mock.patch("django.core.signing.time.time", return_value=10**10):
        assert client.post(reverse("customer:signup_confirm", args=[expired])).status_code == 404
    user.refresh_from_db()
    assert not user.is_active


def test_without_a_billing_check_sign_up_is_closed(client, customer, monkeypatch):
    real_get_hooks = hooks.get_hooks
    monkeypatch.setattr(
        "customers.signup.hooks.get_hooks",
        lambda name: [] if name == "verify_billing_proof" else real_get_hooks(name),
    )
    response = client.get(reverse("customer:signup"))
    assert "nie jest jeszcze dostępna" in response.content.decode()
    client.post(reverse("customer:signup"), form())
    assert not Membership.objects.exists()


def test_billing_rooms_check_accepts_a_real_invoice_of_the_customer(
    client, customer, django_capture_on_commit_callbacks
):
    from tests.factories import InvoiceFactory

    InvoiceFactory(customer=customer, number="FV/2026/10/000123", gross_total=Decimal("249.99"))
    response = post(
        client,
        django_capture_on_commit_callbacks,
        invoice_number="fv/2026/10/000123",
        gross_amount="249,99",
    )
    assert response["Location"] == reverse("customer:signup_sent")
    wrong = post(
        client,
        django_capture_on_commit_callbacks,
        email="inny@example.pl",
        invoice_number="FV/2026/10/000123",
        gross_amount="250,00",
    )
    assert wrong.status_code == 200
