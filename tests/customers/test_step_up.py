"""Sensitive changes ask for the password again and tell the old address."""

import re
import time

import pytest
from django.core import mail
from django.urls import reverse

from customers.models import AuditEvent
from customers.stepup import SESSION_KEY
from tests.conftest import verify_with_second_factor
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(home_page):
    return UserFactory(email="jan@example.pl")


def stale(client):
    session = client.session
    session[SESSION_KEY] = time.time() - 3600
    session.save()


def test_changing_the_email_asks_for_the_password_again(
    client, user, django_capture_on_commit_callbacks
):
    client.force_login(user)
    stale(client)
    response = client.get(reverse("customer:email_change"))
    assert response["Location"].startswith(reverse("customer:confirm_identity"))

    wrong = client.post(response["Location"], {"password": "not-it"})
    assert "password" in wrong.context["form"].errors
    confirmed = client.post(response["Location"], {"password": PASSWORD})
    assert confirmed["Location"] == reverse("customer:email_change")

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("customer:email_change"), {"email": "Jan.Nowy@example.pl"})
    user.refresh_from_db()
    assert user.email == "jan.nowy@example.pl"
    assert mail.outbox[-1].to == ["jan@example.pl"]
    assert AuditEvent.objects.filter(action="data_changed", detail__change="e-mail").exists()


def test_user_with_a_second_factor_must_give_a_code_too(client, user):
    import pyotp

    device = verify_with_second_factor(client, user)
    stale(client)
    url = reverse("customer:confirm_identity") + "?next=/account/security/password/"
    response = client.post(url, {"password": PASSWORD, "otp_token": "000000"})
    assert "otp_token" in response.context["form"].errors
    import base64

    device.refresh_from_db()
    device.throttle_reset()  # django-otp slows down guessing after a wrong code

    code = pyotp.TOTP(base64.b32encode(device.bin_key).decode()).now()
    response = client.post(url, {"password": PASSWORD, "otp_token": code})
    assert response["Location"] == "/account/security/password/"


def test_second_factor_pages_ask_for_a_step_up(client, user):
    verify_with_second_factor(client, user)
    stale(client)
    response = client.get("/account/two_factor/disable/")
    assert response["Location"].startswith(reverse("customer:confirm_identity"))


def test_confirmation_never_sends_off_site(client, user):
    client.force_login(user)
    url = reverse("customer:confirm_identity") + "?next=https://evil.example/"
    response = client.post(url, {"password": PASSWORD})
    assert response["Location"] == reverse("customer:security")


def test_password_change_tells_the_user(client, user, django_capture_on_commit_callbacks):
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = time.time()
    session.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("customer:password_change"),
            {
                "old_password": PASSWORD,
                "new_password1": "Zielona-Lampa-nad-Wisłą-7",
                "new_password2": "Zielona-Lampa-nad-Wisłą-7",
            },
        )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Zielona-Lampa-nad-Wisłą-7")
    assert mail.outbox[-1].to == ["jan@example.pl"]


def test_password_reset_answers_the_same_for_unknown_addresses(
    client, user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(reverse("password_reset"), {"email": "jan@example.pl"})
        unknown = client.post(reverse("password_reset"), {"email": "nikt@example.pl"})
    assert known["Location"] == unknown["Location"] == reverse("password_reset_done")
    assert [m.to for m in mail.outbox] == [["jan@example.pl"]]
    link = re.search(r"http://testserver(\S+)", mail.outbox[0].body).group(1)
    form_url = client.get(link)["Location"]
    client.post(
        form_url,
        {
            "new_password1": "Zielona-Lampa-nad-Wisłą-7",
            "new_password2": "Zielona-Lampa-nad-Wisłą-7",
        },
    )
    user.refresh_from_db()
    assert user.check_password("Zielona-Lampa-nad-Wisłą-7")
    assert client.get(link).context["validlink"] is False


def test_adding_and_removing_a_second_factor_tells_the_user(
    user, django_capture_on_commit_callbacks
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    with django_capture_on_commit_callbacks(execute=True):
        device = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
        device.delete()
    assert [m.to for m in mail.outbox] == [["jan@example.pl"], ["jan@example.pl"]]
    changes = AuditEvent.objects.filter(action="data_changed").values_list(
        "detail__change", flat=True
    )
    assert sorted(changes) == ["second factor added", "second factor removed"]
