"""Wagtail's reference index follows content, not customer records.

Every ORM save of an indexed model costs a transaction of its own (read the object's
references, write the differences): on a download's audit row, a login or a reading that
is three or four statements more, and nothing in the admin looks those references up.
"""

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import ReferenceIndex

from customers.models import AuditEvent, InboxMessage

pytestmark = pytest.mark.django_db

OWN_APPS = {"customers", "billing", "metering", "servicedesk", "notifications", "integrations"}

CONTENT = {
    "customers.InboxMessage",  # rich text linking pages and documents
    "customers.Contract",
    "customers.ContractDocument",
    "customers.Segment",
    "customers.DashboardLayout",
    "customers.AccessBatch",
    "metering.ReadingWindow",
    "servicedesk.Team",
    "servicedesk.RequestType",
    "servicedesk.AppointmentSlot",
}
"""Models staff edit in the admin whose links a usage listing may show."""


def indexed_own_models() -> set[str]:
    return {
        model._meta.label
        for model in apps.get_models()
        if model._meta.app_label in OWN_APPS and ReferenceIndex.model_is_indexable(model)
    }


def test_only_content_is_indexed():
    assert indexed_own_models() <= CONTENT


def test_an_audit_row_is_one_insert(django_user_model):
    user = django_user_model.objects.create_user(email="jan@example.pl", password="x" * 12)
    with CaptureQueriesContext(connection) as captured:
        AuditEvent.objects.create(action=AuditEvent.Action.LOGIN, actor=user)
    statements = [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    assert len(statements) == 1, statements
    assert not [sql for sql in statements if "wagtailcore_referenceindex" in sql]


def test_a_message_to_customers_is_still_indexed():
    message = InboxMessage.objects.create(subject="Przerwa", body="<p>tekst</p>")
    with CaptureQueriesContext(connection) as captured:
        message.save()
    assert [q for q in captured.captured_queries if "wagtailcore_referenceindex" in q["sql"]]
