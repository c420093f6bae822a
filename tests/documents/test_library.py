"""The document library: one collection's documents, by category and words, never a
document its reader could not open, always through Wagtail's serve view."""

import re
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from taggit.models import Tag
from wagtail.documents import get_document_model
from wagtail.models import Collection, CollectionViewRestriction

from documents.models import DocumentLibraryPage
from tests.conftest import verify_with_second_factor
from tests.factories import CustomerFactory, MembershipFactory, SegmentFactory, UserFactory

pytestmark = pytest.mark.django_db

Document = get_document_model()


def add_document(collection, title, tags=(), content=b"%PDF-1.4 formularz"):
    document = Document(
        title=title,
        collection=collection,
        file=ContentFile(content, name=f"{re.sub(r'[^a-z]+', '-', title.lower())}.pdf"),
    )
    document._set_document_file_metadata()
    document.save()
    document.tags.add(*tags)
    return document


def add_library(parent, collection, slug="dokumenty"):
    page = DocumentLibraryPage(
        slug=slug, title="Dokumenty do pobrania", intro="Formularze.", collection=collection
    )
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def segment_member(segment, email):
    customer = CustomerFactory()
    customer.segments.add(segment)
    return MembershipFactory(customer=customer, user=UserFactory(email=email)).user


@pytest.fixture
def library(home_page):
    root = Collection.get_first_root_node()
    shelf = root.add_child(instance=Collection(name="Dokumenty do pobrania"))
    forms = shelf.add_child(instance=Collection(name="Formularze"))
    companies = shelf.add_child(instance=Collection(name="Dla firm"))
    elsewhere = root.add_child(instance=Collection(name="Inne"))
    segment = SegmentFactory(code="business")
    restriction = CollectionViewRestriction.objects.create(
        collection=companies, restriction_type=CollectionViewRestriction.GROUPS
    )
    restriction.groups.set([segment.group])
    return SimpleNamespace(
        page=add_library(home_page, shelf),
        segment=segment,
        tariff=add_document(forms, "Wniosek o zmianę taryfy", ["wnioski", "taryfy"]),
        data=add_document(forms, "Wniosek o zmianę danych", ["wnioski"]),
        proxy=add_document(forms, "Pełnomocnictwo", ["pełnomocnictwa"]),
        power=add_document(companies, "Wniosek o zmianę mocy umownej", ["wnioski", "moc umowna"]),
        other=add_document(elsewhere, "Regulamin promocji", ["regulaminy"]),
    )


def listed(response) -> list[str]:
    html = response.content.decode()
    return re.findall(r'<li class="card document" id="document-(\d+)">', html)


def ids(*documents) -> list[str]:
    return sorted(str(document.pk) for document in documents)


def test_lists_the_documents_of_its_collection_and_subcollections(client, library):
    response = client.get(library.page.url)
    assert response.status_code == 200
    assert sorted(listed(response)) == ids(library.tariff, library.data, library.proxy)


def test_links_go_through_the_serve_view_never_the_media_url(client, library, settings):
    html = client.get(library.page.url).content.decode()
    serve = reverse("wagtaildocs_serve", args=[library.tariff.pk, library.tariff.filename])
    assert f'href="{serve}"' in html
    assert settings.MEDIA_URL not in html
    assert settings.WAGTAILDOCS_SERVE_METHOD == "serve_view"
    response = client.get(serve)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 formularz"


def test_a_segment_member_sees_the_collection_of_the_segment(client, library):
    client.force_login(segment_member(library.segment, "firma@example.pl"))
    response = client.get(library.page.url)
    assert sorted(listed(response)) == ids(
        library.tariff, library.data, library.proxy, library.power
    )


def test_categories_are_the_tags_of_documents_the_reader_may_open(client, library):
    html = client.get(library.page.url).content.decode()
    categories = re.search(r'id="library-categories">(.*?)</nav>', html, re.S).group(1)
    assert "taryfy" in categories and "pełnomocnictwa" in categories
    # Only the restricted collection uses it, and no other library's tags leak in.
    assert "moc umowna" not in html
    assert "regulaminy" not in html

    client.force_login(segment_member(library.segment, "firma@example.pl"))
    assert "moc umowna" in client.get(library.page.url).content.decode()


def test_filter_by_category(client, library):
    response = client.get(library.page.url, {"tag": "wnioski"})
    assert sorted(listed(response)) == ids(library.tariff, library.data)
    assert 'href="?tag=wnioski" aria-current="true"' in response.content.decode()


def test_search_by_words_of_the_title_or_a_tag(client, library):
    assert listed(client.get(library.page.url, {"q": "TARYF"})) == [str(library.tariff.pk)]
    assert listed(client.get(library.page.url, {"q": "pełnomoc"})) == [str(library.proxy.pk)]
    both = client.get(library.page.url, {"q": "wniosek", "tag": "taryfy"})
    assert listed(both) == [str(library.tariff.pk)]
    # Words of a document the reader may not open find nothing.
    empty = client.get(library.page.url, {"q": "moc umowna"})
    assert listed(empty) == []
    assert 'id="library-empty"' in empty.content.decode()


def test_bad_filters_get_a_message_under_the_field_and_filter_nothing(client, library):
    response = client.get(library.page.url, {"tag": "moc-umowna"})
    html = response.content.decode()
    assert re.search(r'<p class="field__error" id="id_tag_error">', html)
    assert sorted(listed(response)) == ids(library.tariff, library.data, library.proxy)

    response = client.get(library.page.url, {"q": "x" * 101})
    assert 'id="id_q_error"' in response.content.decode()
    assert len(listed(response)) == 3


def test_pages_of_results_keep_the_filter(client, library):
    forms = library.tariff.collection
    for number in range(25):
        add_document(forms, f"Załącznik {number:02d}", ["załączniki"])
    slug = Tag.objects.get(name="załączniki").slug
    first = client.get(library.page.url, {"tag": slug})
    assert "field__error" not in first.content.decode()
    assert len(listed(first)) == 20
    assert f'href="?tag={quote(slug)}&amp;page=2"' in first.content.decode()
    second = client.get(library.page.url, {"tag": slug, "page": 2})
    assert len(listed(second)) == 5


def test_staff_see_every_document(library):
    from django.test import Client

    staff = UserFactory(email="redakcja@example.pl", is_staff=True, is_superuser=True)
    client = Client()
    verify_with_second_factor(client, staff)
    assert len(listed(client.get(library.page.url))) == 4


def test_queries_do_not_grow_with_the_documents(client, library):
    client.force_login(segment_member(library.segment, "firma@example.pl"))
    client.get(library.page.url)  # warm the site root cache

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(library.page.url).status_code == 200
        return len(queries)

    few = count()
    for number in range(15):
        add_document(library.tariff.collection, f"Wzór {number}", ["wzory", f"wzór-{number}"])
        add_document(library.power.collection, f"Wzór firmowy {number}", ["wzory"])
    assert count() == few


def test_a_library_whose_collection_was_deleted_lists_nothing(client, home_page):
    collection = Collection.get_first_root_node().add_child(instance=Collection(name="Stare"))
    page = add_library(home_page, collection, slug="archiwum")
    collection.delete()
    page.refresh_from_db()
    assert page.collection is None
    response = client.get(page.url)
    assert response.status_code == 200
    assert listed(response) == []


def test_demo_library_has_public_forms_and_a_collection_for_companies(client):
    from django.core.management import call_command

    call_command("seed_demo")
    page = DocumentLibraryPage.objects.get(slug="dokumenty")
    forms = Collection.objects.get(name="Formularze")
    companies = Collection.objects.get(name="Dla firm")
    assert not forms.get_view_restrictions().exists()
    restriction = companies.get_view_restrictions().get()
    assert list(restriction.groups.values_list("segment__code", flat=True)) == ["business"]
    public = Document.objects.filter(collection=forms)
    assert public.filter(title="Wniosek o zmianę taryfy").exists()
    assert 2 <= public.count() <= 3
    assert sorted(listed(client.get(page.url))) == sorted(
        str(pk) for pk in public.values_list("pk", flat=True)
    )
    with Document.objects.get(title="Wniosek o zmianę taryfy").open_file() as file:
        assert file.read(5) == b"%PDF-"

    # The wholesaler is also a VIP, whose users sign in with a second factor.
    business_owner = UserFactory._meta.model.objects.get(email="biuro@hurtownia.example.pl")
    verify_with_second_factor(client, business_owner)
    assert (
        len(listed(client.get(page.url)))
        == Document.objects.filter(collection__in=[forms, companies]).count()
    )

    documents = Document.objects.count()
    call_command("seed_demo")
    assert Document.objects.count() == documents
