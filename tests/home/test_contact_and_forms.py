from datetime import time

import pytest
from wagtail.contrib.forms.models import FormSubmission

from home.forms import HONEYPOT_FIELD
from home.models import ContactPage, FormField, FormPage
from notifications.models import Delivery
from servicedesk.models import FormField as RequestFormField
from servicedesk.models import Request, RequestType, WorkingCalendar
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

STAFF_ADDRESS = "oferty@okienko.example.pl"


@pytest.fixture
def contact_page(home_page):
    page = ContactPage(
        title="Kontakt",
        slug="kontakt",
        intro="Jesteśmy do Twojej dyspozycji.",
        hotline_phone="+48 22 100 20 30",
        hotline_hours="pon.–pt. 7:00–20:00",
        branches=[
            {
                "type": "branch",
                "value": {
                    "name": "Biuro Obsługi Klienta Mokotów",
                    "street": "ul. Puławska 100",
                    "postal_code": "02-620",
                    "city": "Warszawa",
                    "opening_hours": [
                        {"days": "pon.–pt.", "hours": "8:00–16:00"},
                        {"days": "sob.", "hours": "nieczynne"},
                    ],
                    "phones": [{"label": "Sekretariat", "number": "22 555 01 02"}],
                    "emails": [{"label": "", "address": "mokotow@okienko.example.pl"}],
                    "map_url": "https://www.openstreetmap.org/#map=18/52.19/21.02",
                },
            },
            {
                "type": "branch",
                "value": {
                    "name": "Biuro Obsługi Klienta Wola",
                    "street": "ul. Wolska 5",
                    "postal_code": "01-201",
                    "city": "Warszawa",
                    "opening_hours": [],
                    "phones": [],
                    "emails": [],
                    "map_url": "",
                },
            },
        ],
    )
    home_page.add_child(instance=page)
    return page


def make_form_page(parent, **kwargs) -> FormPage:
    page = FormPage(
        title="Zapytanie ofertowe",
        slug=kwargs.pop("slug", "zapytanie-ofertowe"),
        intro="Napisz, czego potrzebujesz.",
        thank_you_text="Dziękujemy, odezwiemy się w ciągu dwóch dni.",
        to_address=STAFF_ADDRESS,
        **kwargs,
    )
    page.form_fields = [
        FormField(label="Imię i nazwisko", field_type="singleline", required=True),
        FormField(label="Czego potrzebujesz?", field_type="multiline", required=True),
        FormField(label="Moc w kW", field_type="number", required=False),
    ]
    parent.add_child(instance=page)
    return page


ANSWERS = {
    "imie_i_nazwisko": "Jan Kowalski",
    "czego_potrzebujesz": "Oferta na prąd dla warsztatu",
    "moc_w_kw": "40",
}


@pytest.fixture
def form_page(home_page):
    return make_form_page(home_page)


@pytest.fixture
def quote_type(two_customers):
    """A quote request the customers may file, whose form has a long-text field."""
    request_type = RequestType.objects.create(
        slug="zapytanie-ofertowe",
        name="Zapytanie ofertowe",
        name_en="Quote request",
        category="quote",
        calendar=WorkingCalendar.objects.create(name="BOK", opens_at=time(8), closes_at=time(16)),
    )
    RequestFormField.objects.create(
        request_type=request_type, key="kontakt", label="Telefon", label_en="Phone", kind="text"
    )
    RequestFormField.objects.create(
        request_type=request_type,
        key="opis",
        label="Opis",
        label_en="Description",
        kind="long_text",
        sort_order=1,
    )
    return request_type


def test_contact_page_lists_the_offices_accessibly(client, contact_page):
    response = client.get(contact_page.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Biuro Obsługi Klienta Mokotów" in html
    assert "Biuro Obsługi Klienta Wola" in html
    assert "<address>" in html and "ul. Puławska 100" in html and "02-620 Warszawa" in html
    assert "<dt>pon.–pt.</dt><dd>8:00–16:00</dd>" in html
    assert 'href="tel:+48221002030"' in html  # the hotline
    assert 'href="tel:225550102"' in html
    assert 'href="mailto:mokotow@okienko.example.pl"' in html
    assert 'href="https://www.openstreetmap.org/#map=18/52.19/21.02"' in html
    assert "<iframe" not in html  # a link to a map, never an embed


def test_contact_page_links_its_form_pages(client, contact_page):
    make_form_page(contact_page)
    html = client.get(contact_page.url).content.decode()
    assert 'href="/kontakt/zapytanie-ofertowe/"' in html


def test_page_type_rules(home_page):
    assert ContactPage.can_create_at(home_page)
    assert FormPage.can_create_at(home_page)
    assert ContactPage.allowed_subpage_models() == [FormPage]
    assert FormPage.allowed_subpage_models() == []


def test_form_page_shows_the_fields_and_a_hidden_honeypot(client, form_page):
    html = client.get(form_page.url).content.decode()
    assert 'name="imie_i_nazwisko"' in html
    assert 'name="czego_potrzebujesz"' in html
    assert f'name="{HONEYPOT_FIELD}"' in html
    assert 'class="visually-hidden" aria-hidden="true"' in html


def test_anonymous_submission_notifies_staff_through_the_outbox(
    client, form_page, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(form_page.url, ANSWERS)
        assert response.status_code == 200
        assert "Dziękujemy, odezwiemy się w ciągu dwóch dni." in response.content.decode()
        delivery = Delivery.objects.get(to=STAFF_ADDRESS)
        # written in the request's transaction, sent only after the commit
        assert delivery.status == Delivery.Status.PENDING
        assert mailoutbox == []
    assert "Imię i nazwisko: Jan Kowalski" in delivery.body
    assert "Czego potrzebujesz?: Oferta na prąd dla warsztatu" in delivery.body
    assert delivery.category == "requests"
    submission = FormSubmission.objects.get(page=form_page)
    assert HONEYPOT_FIELD not in submission.form_data
    assert submission.form_data["imie_i_nazwisko"] == "Jan Kowalski"
    assert not Request.objects.exists()
    assert response.context["filed_request"] is None

    for callback in callbacks:
        callback()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT
    assert [m.to for m in mailoutbox] == [[STAFF_ADDRESS]]


def test_each_staff_address_gets_its_own_notice(client, home_page):
    page = make_form_page(home_page, slug="kontakt-2")
    page.to_address = f"{STAFF_ADDRESS}, bok@okienko.example.pl"
    page.save()
    client.post(page.url, ANSWERS)
    assert set(Delivery.objects.values_list("to", flat=True)) == {
        STAFF_ADDRESS,
        "bok@okienko.example.pl",
    }


def test_a_customer_submission_also_files_a_request_with_the_answers(
    client, home_page, two_customers, quote_type, django_capture_on_commit_callbacks, mailoutbox
):
    a = two_customers.a
    page = make_form_page(home_page, request_type_slug="zapytanie-ofertowe")
    client.force_login(a.owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(page.url, ANSWERS)
    assert response.status_code == 200
    request = Request.objects.get(request_type=quote_type)
    assert request.customer == a.customer
    assert request.filed_by == a.owner
    assert request.subject == "Zapytanie ofertowe"
    assert request.data == {
        "opis": "Imię i nazwisko: Jan Kowalski\n"
        "Czego potrzebujesz?: Oferta na prąd dla warsztatu\n"
        "Moc w kW: 40"
    }
    html = response.content.decode()
    assert request.reference in html
    assert f'href="/account/requests/{request.public_id}/"' in html
    staff_notice = Delivery.objects.get(to=STAFF_ADDRESS)
    assert request.reference in staff_notice.subject
    assert a.owner.email in staff_notice.body
    assert STAFF_ADDRESS in [m.to[0] for m in mailoutbox]
    # the customer sees it among their requests
    listing = client.get("/account/requests/").content.decode()
    assert request.reference in listing


def test_without_a_type_on_the_page_the_request_is_a_general_question(
    client, form_page, two_customers, quote_type
):
    a = two_customers.a
    general = RequestType.objects.create(
        slug="pytanie",
        name="Pytanie",
        name_en="Question",
        category="general",
        calendar=quote_type.calendar,
    )
    client.force_login(a.technician)
    client.post(form_page.url, ANSWERS)
    request = Request.objects.get(request_type=general)
    assert request.customer == a.customer
    assert request.data["answers"].startswith("Imię i nazwisko: Jan Kowalski")


def test_no_request_for_a_member_who_may_not_file_or_a_user_without_customer(
    client, form_page, quote_type
):
    read_only = MembershipFactory(role="read_only")
    before = Request.objects.count()
    for user in (read_only.user, UserFactory()):
        client.force_login(user)
        response = client.post(form_page.url, ANSWERS)
        assert response.status_code == 200
        assert response.context["filed_request"] is None
    assert Request.objects.count() == before
    assert Delivery.objects.filter(to=STAFF_ADDRESS).count() == 2


def test_honeypot_is_refused_and_nothing_is_kept(client, form_page):
    response = client.post(form_page.url, {**ANSWERS, HONEYPOT_FIELD: "http://spam.example"})
    assert response.status_code == 200
    assert 'class="alert alert--error"' in response.content.decode()
    assert response.context["form"].errors["__all__"]
    assert not FormSubmission.objects.exists()
    assert not Delivery.objects.exists()


def test_a_missing_answer_is_named_under_its_field(client, form_page):
    response = client.post(form_page.url, {**ANSWERS, "czego_potrzebujesz": ""})
    assert response.status_code == 200
    assert 'id="id_czego_potrzebujesz_error"' in response.content.decode()
    assert not FormSubmission.objects.exists()
    assert not Delivery.objects.exists()


def test_too_many_submissions_from_one_address_wait(client, form_page, monkeypatch):
    monkeypatch.setattr("home.models.FORM_SUBMISSIONS_PER_HOUR", 2)
    for _ in range(2):
        assert "Dziękujemy" in client.post(form_page.url, ANSWERS).content.decode()
    response = client.post(form_page.url, ANSWERS)
    assert response.context["form"].errors["__all__"]
    assert FormSubmission.objects.count() == 2


def test_editors_can_add_contact_and_form_pages(staff_client, home_page, form_page):
    for model in ("contactpage", "formpage"):
        url = f"/admin/pages/add/home/{model}/{home_page.pk}/"
        assert staff_client.get(url).status_code == 200
    assert staff_client.get(f"/admin/pages/{form_page.pk}/edit/").status_code == 200
    assert staff_client.get(f"/admin/forms/submissions/{form_page.pk}/").status_code == 200
