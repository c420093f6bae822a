import pytest
from django.urls import reverse
from wagtail.models import PageViewRestriction

from tests.factories import StandardPageFactory

pytestmark = pytest.mark.django_db


def test_home_page_is_polish_by_default_with_a_login_call_to_action(client, home_page):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="pl">' in html
    assert "Zaloguj się do portalu klienta" in html
    assert reverse("two_factor:login") in html
    assert "Okienko Energia Sp. z o.o." in html
    assert "61 1090 1014 0000 0712 1981 2874" in html


def test_language_switch_turns_the_interface_to_english_and_back(client, home_page):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Log in to the customer portal" in html
    client.post(reverse("set_language"), {"language": "pl", "next": "/"})
    assert "Zaloguj się do portalu klienta" in client.get("/").content.decode()


def test_accept_language_header_chooses_english(client, home_page):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()
    assert "Skip to main content" in html


def test_pages_marked_for_menus_are_in_the_main_menu(client, home_page):
    StandardPageFactory(parent=home_page, title="Pomoc", slug="pomoc", show_in_menus=True)
    StandardPageFactory(parent=home_page, title="Ukryta", slug="ukryta", show_in_menus=False)
    html = client.get("/pomoc/").content.decode()
    assert 'href="/pomoc/" aria-current="page"' in html
    assert "Ukryta" not in html


def test_the_cached_menu_follows_new_and_restricted_pages(client, home_page):
    help_page = StandardPageFactory(
        parent=home_page, title="Pomoc", slug="pomoc", show_in_menus=True
    )
    assert 'href="/pomoc/"' in client.get("/").content.decode()
    StandardPageFactory(parent=home_page, title="Cennik", slug="cennik", show_in_menus=True)
    html = client.get("/").content.decode()
    assert 'href="/cennik/"' in html
    PageViewRestriction.objects.create(page=help_page, restriction_type=PageViewRestriction.LOGIN)
    assert 'href="/pomoc/"' not in client.get("/").content.decode()


def test_search_finds_public_pages_and_never_private_ones(client, home_page):
    StandardPageFactory(parent=home_page, title="Taryfa dla gospodarstw", slug="taryfa")
    private = StandardPageFactory(parent=home_page, title="Taryfa VIP", slug="taryfa-vip")
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.LOGIN)
    response = client.get(reverse("search"), {"q": "Taryfa"})
    html = response.content.decode()
    assert "Taryfa dla gospodarstw" in html
    assert "Taryfa VIP" not in html


def test_private_page_asks_anonymous_visitors_to_log_in(client, home_page):
    private = StandardPageFactory(parent=home_page, title="Oferta VIP", slug="vip")
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.LOGIN)
    response = client.get("/vip/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor:login"))


def test_missing_page_gets_a_translated_404(client, home_page):
    response = client.get("/nie-ma-takiej-strony/")
    assert response.status_code == 404
    assert "Nie znaleziono strony" in response.content.decode()


def test_login_page_logs_a_user_in_by_email(client, home_page, django_user_model):
    django_user_model.objects.create_user("Jan.Kowalski@Example.pl", "Okienko-demo-2026")
    response = client.post(
        reverse("two_factor:login"),
        {
            "login_view-current_step": "auth",
            "auth-username": "jan.kowalski@example.pl",
            "auth-password": "Okienko-demo-2026",
        },
    )
    assert response.status_code == 302
    assert "Wyloguj" in client.get("/").content.decode()


def test_login_with_a_wrong_password_says_so_and_logs_nobody_in(client, home_page):
    response = client.post(
        reverse("two_factor:login"),
        {
            "login_view-current_step": "auth",
            "auth-username": "nikt@example.pl",
            "auth-password": "x",
        },
    )
    assert response.status_code == 200
    assert "alert--error" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_healthz_reports_database_and_cache(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
