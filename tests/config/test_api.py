import pytest
from wagtail.models import PageViewRestriction

from tests.factories import StandardPageFactory

pytestmark = pytest.mark.django_db


def test_content_api_lists_live_public_pages_only(client, home_page):
    StandardPageFactory(parent=home_page, title="Cennik", slug="cennik")
    draft = StandardPageFactory(parent=home_page, title="Szkic", slug="szkic", live=False)
    private = StandardPageFactory(parent=home_page, title="Dla VIP", slug="dla-vip")
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.LOGIN)

    response = client.get("/api/v2/pages/")
    assert response.status_code == 200
    titles = {item["title"] for item in response.json()["items"]}
    assert "Cennik" in titles
    assert draft.title not in titles
    assert private.title not in titles


def test_content_api_serves_home_page_fields(client, home_page):
    response = client.get(f"/api/v2/pages/{home_page.pk}/")
    assert response.status_code == 200
    assert response.json()["hero_title"] == home_page.hero_title


def test_openapi_schema_is_served(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Okienko API"


def test_customer_api_needs_a_login(client, django_user_model):
    assert client.get("/api/v1/").status_code == 403
    client.force_login(django_user_model.objects.create_user("a@example.pl", "x"))
    assert client.get("/api/v1/").status_code == 200


def test_content_api_never_lists_documents_of_a_private_collection(client, db):
    from django.core.files.base import ContentFile
    from wagtail.documents import get_document_model
    from wagtail.models import Collection, CollectionViewRestriction

    Document = get_document_model()
    root = Collection.get_first_root_node()
    private = root.add_child(name="Dla zarządu")
    inner = private.add_child(name="Protokoły")
    CollectionViewRestriction.objects.create(
        collection=private, restriction_type=CollectionViewRestriction.LOGIN
    )
    Document.objects.create(title="Regulamin", file=ContentFile(b"%PDF-1.4", name="r.pdf"))
    Document.objects.create(
        title="Protokół", collection=inner, file=ContentFile(b"%PDF-1.4", name="p.pdf")
    )
    response = client.get("/api/v2/documents/")
    assert response.status_code == 200
    assert [item["title"] for item in response.json()["items"]] == ["Regulamin"]
