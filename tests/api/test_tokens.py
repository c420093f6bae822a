from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from customers.models import AuditEvent, PersonalAccessToken
from customers.models.tokens import hash_token
from customers.stepup import SESSION_KEY
from tests.conftest import verify_with_second_factor

pytestmark = pytest.mark.django_db


def issue(user, scope="read", days=30):
    return PersonalAccessToken.issue(
        user=user, name="skrypt", scope=scope, expires_at=timezone.now() + timedelta(days=days)
    )


def bearer(raw, keyword="Bearer"):
    return {"HTTP_AUTHORIZATION": f"{keyword} {raw}"}


def stepped_up(client):
    session = client.session
    session[SESSION_KEY] = timezone.now().timestamp()
    session.save()


def test_a_token_reads_the_api_as_its_user(client, two_customers):
    _, raw = issue(two_customers.a.billing)
    for keyword in ("Bearer", "Token"):
        response = client.get(reverse("api-v1:me"), **bearer(raw, keyword))
        assert response.status_code == 200
        assert response.json()["email"] == two_customers.a.billing.email


@pytest.mark.parametrize(
    "spoil",
    [
        lambda token: setattr(token, "revoked_at", timezone.now()),
        lambda token: setattr(token, "expires_at", timezone.now() - timedelta(seconds=1)),
        lambda token: (setattr(token.user, "is_active", False), token.user.save()),
    ],
    ids=["revoked", "expired", "inactive user"],
)
def test_a_token_that_no_longer_works_is_a_401(client, two_customers, spoil):
    token, raw = issue(two_customers.a.billing)
    spoil(token)
    token.save()
    response = client.get(reverse("api-v1:invoice-list"), **bearer(raw))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "authentication_failed"


def test_an_unknown_token_is_a_401(client, two_customers):
    response = client.get(reverse("api-v1:me"), **bearer("okn_" + "x" * 43))
    assert response.status_code == 401
    assert client.get(reverse("api-v1:me"), **bearer("nonsense")).status_code == 401


def test_the_token_is_stored_only_as_a_hash(two_customers):
    token, raw = issue(two_customers.a.owner)
    token.refresh_from_db()
    assert raw.startswith("okn_") and raw not in (token.token_hash, token.prefix)
    assert token.token_hash == hash_token(raw) and raw.startswith(token.prefix)


def test_a_read_token_may_not_change_anything(client, two_customers):
    a = two_customers.a
    _, raw = issue(a.owner, scope="read")
    response = client.post(
        reverse("api-v1:customer-activate", args=[a.customer.public_id]), **bearer(raw)
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    _, raw = issue(a.owner, scope="write")
    response = client.post(
        reverse("api-v1:customer-activate", args=[a.customer.public_id]), **bearer(raw)
    )
    assert response.status_code == 200


def test_token_posts_need_no_csrf_but_session_posts_do(two_customers):
    a = two_customers.a
    url = reverse("api-v1:customer-activate", args=[a.customer.public_id])
    client = Client(enforce_csrf_checks=True)
    _, raw = issue(a.owner, scope="write")
    assert client.post(url, **bearer(raw)).status_code == 200
    client.force_login(a.owner)
    response = client.post(url)
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]


def test_last_used_is_written_at_most_once_a_minute(client, two_customers):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    token, raw = issue(two_customers.a.billing)
    client.get(reverse("api-v1:me"), **bearer(raw))
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("api-v1:me"), **bearer(raw))
    assert not [q for q in queries if q["sql"].startswith("UPDATE")]
    token.refresh_from_db()
    assert token.last_used_at == first
    PersonalAccessToken.objects.filter(pk=token.pk).update(
        last_used_at=first - timedelta(minutes=2)
    )
    client.get(reverse("api-v1:me"), **bearer(raw))
    token.refresh_from_db()
    assert token.last_used_at > first - timedelta(minutes=2)


def test_creating_a_token_shows_it_once(client, two_customers, home_page):
    user = two_customers.a.owner
    client.force_login(user)
    stepped_up(client)
    response = client.post(
        reverse("customer:token_create"), {"name": "Excel", "scope": "read", "expires_in": "90"}
    )
    assert response.status_code == 200
    token = PersonalAccessToken.objects.get(user=user)
    raw = response.context["raw"]
    assert raw in response.content.decode()
    assert response["Cache-Control"] == "private, no-store"
    assert token.token_hash == hash_token(raw)
    assert timedelta(days=89) < token.expires_at - timezone.now() <= timedelta(days=90)
    listing = client.get(reverse("customer:tokens")).content.decode()
    assert token.prefix in listing and raw not in listing
    assert AuditEvent.objects.filter(actor=user, detail__change="API token created").exists()


def test_creating_a_token_asks_for_a_step_up(client, two_customers, home_page):
    client.force_login(two_customers.a.owner)
    session = client.session
    session[SESSION_KEY] = timezone.now().timestamp() - 3600
    session.save()
    response = client.post(
        reverse("customer:token_create"), {"name": "Excel", "scope": "read", "expires_in": "90"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("customer:confirm_identity"))
    assert not PersonalAccessToken.objects.exists()


def test_creating_a_token_needs_the_second_factor_when_the_user_has_one(
    client, two_customers, home_page
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = two_customers.a.owner
    TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    client.force_login(user)
    stepped_up(client)
    data = {"name": "Excel", "scope": "write", "expires_in": "30"}
    response = client.post(reverse("customer:token_create"), data)
    assert response.status_code == 302 and response["Location"] == reverse("customer:tokens")
    assert not PersonalAccessToken.objects.exists()
    verify_with_second_factor(client, user)
    stepped_up(client)
    assert client.post(reverse("customer:token_create"), data).status_code == 200
    assert PersonalAccessToken.objects.get(user=user).scope == "write"


def test_bad_input_changes_nothing(client, two_customers, home_page):
    client.force_login(two_customers.a.owner)
    stepped_up(client)
    response = client.post(
        reverse("customer:token_create"), {"name": " ", "scope": "admin", "expires_in": "7"}
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"name", "scope", "expires_in"}
    assert 'class="field__error"' in response.content.decode()
    assert not PersonalAccessToken.objects.exists()


def test_revoking_a_token_stops_it_and_only_the_owner_may(client, two_customers, home_page):
    token, raw = issue(two_customers.a.owner)
    client.force_login(two_customers.b.owner)
    assert client.post(reverse("customer:token_revoke"), {"token": token.pk}).status_code == 404
    client.force_login(two_customers.a.owner)
    response = client.post(reverse("customer:token_revoke"), {"token": token.pk})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client().get(reverse("api-v1:me"), **bearer(raw)).status_code == 401


def test_the_security_page_links_the_tokens(client, two_customers, home_page):
    client.force_login(two_customers.a.owner)
    assert reverse("customer:tokens") in client.get(reverse("customer:security")).content.decode()
