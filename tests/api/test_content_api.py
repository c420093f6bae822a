import pytest

from notifications.models import Preference
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(home_page):
    return MembershipFactory(role="owner")


def test_notification_settings_grid_and_change(client, owner):
    client.force_login(owner.user)
    data = client.get("/api/v1/notification-settings/").json()
    categories = {row["category"]: row for row in data["categories"]}
    assert "readings" in categories and "channels" in categories["readings"]
    response = client.patch(
        "/api/v1/notification-settings/",
        {"categories": {"readings": {"email": False, "sms": False}}},
        content_type="application/json",
    )
    assert response.status_code in (200, 400), response.content
    if response.status_code == 200:
        assert Preference.objects.filter(user=owner.user, category="readings").exists()


def test_sms_without_a_phone_is_refused(client, owner):
    client.force_login(owner.user)
    response = client.put(
        "/api/v1/notification-settings/",
        {"categories": {"readings": {"sms": True}}, "mobile_phone": ""},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "mobile_phone" in str(response.json())


def test_messages_and_announcements_answer(client, owner):
    client.force_login(owner.user)
    assert client.get("/api/v1/messages/").json()["count"] == 0
    assert client.get("/api/v1/messages/unread-count/").json() == {"unread": 0}
    assert client.get("/api/v1/announcements/").status_code == 200


def test_another_customers_message_is_404(client, two_customers):
    import uuid

    membership = MembershipFactory(role="owner")
    client.force_login(membership.user)
    assert client.get(f"/api/v1/messages/{uuid.uuid4()}/").status_code == 404
