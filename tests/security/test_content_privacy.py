"""Content private to a segment reaches its segment and staff, and nobody else.

In the manner of Wagtail's own collection-privacy tests, each item is asked for by
four readers: a stranger, a signed-in customer outside the segment, a customer in it,
and staff. Strangers are sent to our two-factor login (and brought back); a signed-in
outsider is refused with a 403; lists (the library, the content API, the site search)
never name what their reader could not open.
"""

import re
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from wagtail.documents import get_document_model
from wagtail.models import (
    Collection,
    CollectionViewRestriction,
    PageViewRestriction,
)

from documents.models import DocumentLibraryPage, PriceListIndexPage, PriceListPage
from tests.conftest import verify_with_second_factor
from tests.factories import (
    PASSWORD,
    CustomerFactory,
    MembershipFactory,
    SegmentFactory,
    StandardPageFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Document = get_document_model()
READERS = ["anonymous", "outsider", "member", "staff"]
ADMITTED = {"member", "staff"}
LOGIN = "/account/login/"
PRIVATE_PDF = b"%PDF-1.4 tylko dla firm"


def _rows(code, item, net):
    return [
        {
            "type": "tariff_table",
            "value": {
                "title": "Taryfa",
                "tariff_code": code[:3],
                "rows": [
                    {
                        "item_code": code,
                        "item": item,
                        "unit": "kWh",
                        "net_price": net,
                        "vat_rate": "23",
                    }
                ],
            },
        }
    ]


def _price_list(home, slug, title, code, item, net):
    index = PriceListIndexPage(slug=slug, title=title)
    home.add_child(instance=index)
    index.save_revision().publish()
    version = PriceListPage(
        slug="2026",
        title=f"{title} 2026",
        effective_from="2026-01-01",
        tables=_rows(code, item, net),
    )
    index.add_child(instance=version)
    version.save_revision().publish()
    return index, PriceListPage.objects.get(pk=version.pk)


def _document(collection, title, content):
    document = Document(
        title=title, collection=collection, file=ContentFile(content, name="formularz.pdf")
    )
    document._set_document_file_metadata()
    document.save()
    return document


@pytest.fixture
def world(home_page):
    segment = SegmentFactory(code="business")
    public_index, public_version = _price_list(
        home_page, "cennik", "Cennik taryfowy domowy", "G11-EC", "Energia domowa", "0.50"
    )
    private_index, private_version = _price_list(
        home_page, "cennik-dla-firm", "Cennik taryfowy firmowy", "C11-EC", "Energia firmowa", "0.61"
    )
    restriction = PageViewRestriction.objects.create(
        page=private_index, restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.set([segment.group])

    shelf = Collection.get_first_root_node().add_child(instance=Collection(name="Biblioteka"))
    forms = shelf.add_child(instance=Collection(name="Formularze"))
    companies = shelf.add_child(instance=Collection(name="Dla firm"))
    collection_restriction = CollectionViewRestriction.objects.create(
        collection=companies, restriction_type=CollectionViewRestriction.GROUPS
    )
    collection_restriction.groups.set([segment.group])
    library = DocumentLibraryPage(slug="dokumenty", title="Dokumenty", collection=shelf)
    home_page.add_child(instance=library)
    library.save_revision().publish()

    return SimpleNamespace(
        segment=segment,
        public_index=public_index,
        public_version=public_version,
        private_index=private_index,
        private_version=private_version,
        library=library,
        public_document=_document(forms, "Wniosek o zmianę taryfy", b"%PDF-1.4 dla wszystkich"),
        private_document=_document(companies, "Wniosek o zmianę mocy umownej", PRIVATE_PDF),
    )


def _customer(email, segment=None):
    customer = CustomerFactory()
    if segment is not None:
        customer.segments.add(segment)
    return MembershipFactory(customer=customer, user=UserFactory(email=email)).user


@pytest.fixture(params=READERS)
def reader(request, world):
    client = Client()
    name = request.param
    if name == "outsider":
        client.force_login(_customer("dom@example.pl"))
    elif name == "member":
        member = _customer("firma@example.pl", world.segment)
        assert member.groups.filter(pk=world.segment.group_id).exists()
        client.force_login(member)
    elif name == "staff":
        staff = UserFactory(email="redakcja@example.pl", is_staff=True, is_superuser=True)
        verify_with_second_factor(client, staff)
    return SimpleNamespace(name=name, client=client, admitted=name in ADMITTED)


def _assert_refused(reader, response, path):
    if reader.name == "anonymous":
        assert response.status_code == 302
        assert response["Location"] == f"{LOGIN}?next={quote(path)}"
    else:
        assert response.status_code == 403
        assert 'id="restricted-content"' in response.content.decode()
    assert "no-cache" in response.get("Cache-Control", "") or reader.name == "anonymous"


def test_private_price_list_is_served_only_to_its_segment(reader, world):
    for page in (world.private_index, world.private_version):
        response = reader.client.get(page.url)
        if reader.admitted:
            assert response.status_code == 200
            assert "Cennik taryfowy firmowy" in response.content.decode()
        else:
            _assert_refused(reader, response, page.url)
            assert b"Energia firmowa" not in response.content


def test_pdf_of_a_private_price_list_follows_the_page(reader, world):
    path = world.private_version.url + "pdf/"
    response = reader.client.get(path)
    if reader.admitted:
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
    else:
        _assert_refused(reader, response, path)


def test_document_of_a_restricted_collection_is_served_only_to_its_segment(reader, world):
    path = world.private_document.url
    assert path == reverse(
        "wagtaildocs_serve", args=[world.private_document.pk, world.private_document.filename]
    )
    response = reader.client.get(path)
    if reader.admitted:
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PRIVATE_PDF
    else:
        _assert_refused(reader, response, path)


def test_public_content_is_served_to_everyone(reader, world):
    assert reader.client.get(world.public_version.url).status_code == 200
    assert reader.client.get(world.public_version.url + "pdf/").status_code == 200
    assert reader.client.get(world.public_document.url).status_code == 200


def test_library_lists_the_restricted_collection_only_to_its_segment(reader, world):
    html = reader.client.get(world.library.url).content.decode()
    assert f'id="document-{world.public_document.pk}"' in html
    assert (f'id="document-{world.private_document.pk}"' in html) is reader.admitted
    assert (world.private_document.url in html) is reader.admitted
    assert ("mocy umownej" in html) is reader.admitted


def test_price_list_index_lists_private_versions_only_to_those_admitted(reader, world):
    # A private version under a public index: the index is public, the version is not.
    hidden = PriceListPage(
        slug="2027", title="Wersja poufna", effective_from="2027-01-01", tables=_rows("X", "x", "1")
    )
    world.public_index.add_child(instance=hidden)
    hidden.save_revision().publish()
    restriction = PageViewRestriction.objects.create(
        page=hidden, restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.set([world.segment.group])
    html = reader.client.get(world.public_index.url).content.decode()
    assert world.public_version.url in html
    assert (hidden.url in html) is reader.admitted


def _api_ids(response) -> set[int]:
    assert response.status_code == 200
    return {item["id"] for item in response.json()["items"]}


def test_pages_api_lists_private_pages_only_to_those_admitted(reader, world):
    ids = _api_ids(reader.client.get("/api/v2/pages/", {"limit": 100}))
    assert {world.public_index.pk, world.public_version.pk} <= ids
    private = {world.private_index.pk, world.private_version.pk}
    assert (private <= ids) is reader.admitted
    assert not (private & ids) or reader.admitted
    detail = reader.client.get(f"/api/v2/pages/{world.private_version.pk}/")
    assert detail.status_code == (200 if reader.admitted else 404)

    typed = reader.client.get(
        "/api/v2/pages/", {"type": "documents.PriceListPage", "fields": "tables"}
    )
    items = {item["id"]: item for item in typed.json()["items"]}
    row = items[world.public_version.pk]["tables"][0]["value"]["rows"][0]
    assert row["gross_price"] == "0.62"
    assert (world.private_version.pk in items) is reader.admitted


def test_documents_api_never_lists_a_document_of_a_private_collection(reader, world):
    ids = _api_ids(reader.client.get("/api/v2/documents/", {"limit": 100}))
    assert world.public_document.pk in ids
    # The content API is public by nature (config/api.py): private collections stay out
    # of it for everyone; those admitted download through the library and serve view.
    assert world.private_document.pk not in ids
    detail = reader.client.get(f"/api/v2/documents/{world.private_document.pk}/")
    assert detail.status_code == 404
    public = reader.client.get(f"/api/v2/documents/{world.public_document.pk}/").json()
    assert public["meta"]["download_url"].endswith(world.public_document.url)


def test_site_search_never_names_a_private_page_to_those_not_admitted(reader, world):
    response = reader.client.get("/search/", {"q": "taryfowy"})
    assert response.status_code == 200
    html = response.content.decode()
    assert world.public_index.url in html
    if not reader.admitted:
        assert world.private_index.url not in html
        assert "firmowy" not in html


def test_a_stranger_signs_in_and_comes_back_to_the_private_page(world):
    client = Client()
    path = world.private_version.url
    login = client.get(path)["Location"]
    assert login == f"{LOGIN}?next={quote(path)}"
    _customer("firma@example.pl", world.segment)
    response = client.post(
        login,
        {
            "login_view-current_step": "auth",
            "auth-username": "firma@example.pl",
            "auth-password": PASSWORD,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == path
    assert client.get(path).status_code == 200


def test_any_page_can_be_private_to_signed_in_users(world, home_page):
    page = StandardPageFactory(parent=home_page, slug="dla-klientow")
    PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.LOGIN)
    stranger = Client()
    assert stranger.get(page.url)["Location"] == f"{LOGIN}?next={quote(page.url)}"
    customer = Client()
    customer.force_login(_customer("dom@example.pl"))
    assert customer.get(page.url).status_code == 200


def test_privacy_settings_offer_no_shared_password(staff_client, world, settings):
    assert settings.WAGTAIL_PRIVATE_PAGE_OPTIONS == {"SHARED_PASSWORD": False}
    assert settings.WAGTAILDOCS_PRIVATE_COLLECTION_OPTIONS == {"SHARED_PASSWORD": False}
    assert settings.WAGTAIL_FRONTEND_LOGIN_URL == LOGIN
    collection = world.private_document.collection
    for url in (
        reverse("wagtailadmin_pages:set_privacy", args=[world.public_index.pk]),
        reverse("wagtailadmin_collections:set_privacy", args=[collection.pk]),
    ):
        response = staff_client.get(url)
        assert response.status_code == 200
        html = response.json()["html"]
        assert re.search(r'value="groups"', html)
        assert not re.search(r'value="password"', html)


def test_viewable_pages_applies_the_same_rule_to_any_page_list(world):
    from django.contrib.auth.models import AnonymousUser
    from wagtail.models import Page

    from documents.privacy import viewable_pages

    private = {world.private_index.pk, world.private_version.pk}
    member = _customer("firma@example.pl", world.segment)
    outsider = _customer("dom@example.pl")
    for user, admitted in ((AnonymousUser(), False), (outsider, False), (member, True)):
        ids = set(viewable_pages(Page.objects.live(), user).values_list("pk", flat=True))
        assert world.public_version.pk in ids
        assert (private <= ids) is admitted
        assert not (private & ids) or admitted
