"""Wagtail is configured so that content privacy never rests on a shared secret or URL."""

import pytest
from django.core.files.base import ContentFile
from wagtail.admin.forms.collections import CollectionViewRestrictionForm
from wagtail.admin.forms.pages import PageViewRestrictionForm
from wagtail.documents import get_document_model
from wagtail.models import PageViewRestriction

pytestmark = pytest.mark.django_db


def test_page_privacy_offers_no_shared_password(home_page):
    form = PageViewRestrictionForm(private_page_options=home_page.private_page_options)
    assert "password" not in form.fields
    choices = [value for value, _ in form.fields["restriction_type"].choices]
    assert PageViewRestriction.PASSWORD not in choices
    assert PageViewRestriction.GROUPS in choices


def test_collection_privacy_offers_no_shared_password():
    choices = [
        value for value, _ in CollectionViewRestrictionForm().fields["restriction_type"].choices
    ]
    assert "password" not in choices


def test_documents_are_linked_through_the_serve_view_not_the_media_folder(client):
    document = get_document_model().objects.create(
        title="Regulamin", file=ContentFile(b"%PDF-1.4 regulamin", name="regulamin.pdf")
    )
    assert document.url == f"/documents/{document.pk}/regulamin.pdf"
    response = client.get(document.url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 regulamin"


def test_admin_avatars_are_not_fetched_from_gravatar(client, admin_user):
    client.force_login(admin_user)
    assert "gravatar" not in client.get("/admin/").content.decode()
