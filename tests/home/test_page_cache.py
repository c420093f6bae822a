"""Whole public pages for anonymous visitors from the shared cache (home.page_cache)."""

from datetime import timedelta

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.contrib.redirects.models import Redirect
from wagtail.documents import get_document_model
from wagtail.models import Collection, PageViewRestriction, Site

from announcements.models import AnnouncementIndexPage, AnnouncementPage
from home import page_cache
from home.models import CompanySettings
from tests.factories import StandardPageFactory, UserFactory
from tests.home.test_contact_and_forms import make_form_page

pytestmark = pytest.mark.django_db

HEADER = page_cache.STATUS_HEADER


@pytest.fixture(autouse=True)
def shared_cache(settings, tmp_path):
    """A cache every process shares (files here, Redis in production): the page cache is on."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
    settings.PAGE_CACHE_SECONDS = 300
    Site.clear_site_root_paths_cache()


@pytest.fixture
def help_page(home_page):
    return StandardPageFactory(parent=home_page, title="Pomoc", slug="pomoc", intro="Jak żyć")


def _headers_without_status(response) -> dict:
    return {name: value for name, value in response.items() if name != HEADER}


def test_second_anonymous_request_is_a_hit_with_the_same_body_and_headers(client, home_page):
    miss = client.get("/")
    hit = client.get("/")
    assert (miss[HEADER], hit[HEADER]) == ("miss", "hit")
    assert hit.status_code == 200
    assert hit.content == miss.content
    assert _headers_without_status(hit) == _headers_without_status(miss)


def test_a_hit_keeps_the_security_headers_of_the_middleware_below_and_above(
    client, home_page, settings
):
    settings.SECURE_HSTS_SECONDS = 3600
    client.get("/", secure=True)
    hit = client.get("/", secure=True)
    assert hit[HEADER] == "hit"
    assert "default-src 'self'" in hit["Content-Security-Policy"]
    assert hit["X-Frame-Options"] == "DENY"
    assert hit["Content-Language"] == "pl"
    assert "Accept-Language" in hit["Vary"]
    assert hit["X-Content-Type-Options"] == "nosniff"
    assert hit["Strict-Transport-Security"].startswith("max-age=3600")


def test_a_hit_sets_no_cookie_and_carries_no_csrf_token(client, home_page):
    client.get("/")
    hit = client.get("/")
    assert hit[HEADER] == "hit"
    assert not hit.cookies
    assert not hit.has_header("Set-Cookie")
    assert "csrfmiddlewaretoken" not in hit.content.decode()


def test_a_signed_in_visitor_never_gets_a_kept_page_nor_fills_the_cache(client, home_page):
    client.force_login(UserFactory())
    signed_in = client.get("/")
    assert not signed_in.has_header(HEADER)
    assert reverse("logout") in signed_in.content.decode()

    stranger = Client()
    assert stranger.get("/")[HEADER] == "miss"
    assert stranger.get("/")[HEADER] == "hit"
    again = client.get("/")
    assert not again.has_header(HEADER)
    assert reverse("logout") in again.content.decode()
    assert "csrfmiddlewaretoken" in again.content.decode()


def test_credentials_in_an_authorization_header_go_around_the_cache(client, home_page):
    client.get("/")
    assert client.get("/")[HEADER] == "hit"
    with_token = client.get("/", HTTP_AUTHORIZATION="Bearer okn_something")
    assert not with_token.has_header(HEADER)


def test_a_restricted_page_is_never_kept(client, help_page):
    client.get(help_page.url)
    assert client.get(help_page.url)[HEADER] == "hit"
    PageViewRestriction.objects.create(page=help_page, restriction_type=PageViewRestriction.LOGIN)
    for _ in range(2):
        response = client.get(help_page.url)
        assert response.status_code == 302
        assert response[HEADER] == "miss"


def test_a_page_under_a_restriction_that_lets_strangers_in_is_still_not_kept(
    help_page, monkeypatch
):
    """Whatever a restriction's check says, a page with one is not stored."""
    PageViewRestriction.objects.create(page=help_page, restriction_type=PageViewRestriction.LOGIN)
    monkeypatch.setattr(PageViewRestriction, "accept_request", lambda self, request: True)
    client = Client()
    response = client.get(help_page.url)
    assert response.status_code == 200
    assert response[HEADER] == "miss"
    assert client.get(help_page.url)[HEADER] == "miss"


def test_a_published_change_shows_on_the_next_request(client, help_page):
    client.get(help_page.url)
    assert client.get(help_page.url)[HEADER] == "hit"
    help_page.intro = "Nowe wprowadzenie"
    help_page.save_revision().publish()
    response = client.get(help_page.url)
    assert response[HEADER] == "miss"
    assert "Nowe wprowadzenie" in response.content.decode()


def test_unpublishing_a_page_takes_it_off_at_once(client, help_page):
    client.get(help_page.url)
    assert client.get(help_page.url)[HEADER] == "hit"
    help_page.unpublish()
    assert client.get(help_page.url).status_code == 404


def test_a_new_menu_page_shows_on_kept_pages_at_once(client, home_page):
    client.get("/")
    assert client.get("/")[HEADER] == "hit"
    StandardPageFactory(parent=home_page, title="Cennik", slug="cennik", show_in_menus=True)
    response = client.get("/")
    assert response[HEADER] == "miss"
    assert 'href="/cennik/"' in response.content.decode()


def test_a_change_of_the_company_details_shows_on_the_next_request(client, home_page):
    client.get("/")
    company = CompanySettings.objects.get()
    company.name = "Nowa Firma S.A."
    company.save()
    response = client.get("/")
    assert response[HEADER] == "miss"
    assert "Nowa Firma S.A." in response.content.decode()


@pytest.mark.parametrize(
    "change",
    [
        lambda home: Site.objects.get(root_page=home).save(),
        lambda home: Redirect.objects.create(old_path="/stara", redirect_link="/"),
        lambda home: Collection.get_first_root_node().add_child(name="Cenniki"),
        lambda home: get_document_model().objects.create(
            title="Regulamin", collection=Collection.get_first_root_node()
        ),
    ],
    ids=["site", "redirect", "collection", "document"],
)
def test_changes_to_what_pages_show_start_a_new_generation(client, home_page, change):
    client.get("/")
    assert client.get("/")[HEADER] == "hit"
    change(home_page)
    assert client.get("/")[HEADER] == "miss"


def test_languages_do_not_mix(client, home_page):
    polish = client.get("/", HTTP_ACCEPT_LANGUAGE="pl")
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert (polish[HEADER], english[HEADER]) == ("miss", "miss")
    english_hit = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    polish_hit = client.get("/", HTTP_ACCEPT_LANGUAGE="pl-PL")
    assert (english_hit[HEADER], polish_hit[HEADER]) == ("hit", "hit")
    assert '<html lang="en">' in english_hit.content.decode()
    assert english_hit["Content-Language"] == "en"
    assert '<html lang="pl">' in polish_hit.content.decode()
    assert polish_hit["Content-Language"] == "pl"


def test_the_language_cookie_picks_the_kept_page_as_the_locale_middleware_would(
    client, home_page, settings
):
    client.get("/")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="pl")
    assert english[HEADER] == "miss"
    assert "Log in to the customer portal" in english.content.decode()
    assert client.get("/")[HEADER] == "hit"


def test_a_stranger_switches_language_without_a_token_and_gets_the_english_page(home_page):
    client = Client(enforce_csrf_checks=True)
    client.get("/")
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    english = client.get("/")
    assert english[HEADER] == "miss"
    assert '<html lang="en">' in english.content.decode()


def test_a_signed_in_user_still_needs_the_csrf_token_to_switch_language(home_page):
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    refused = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert refused.status_code == 403
    token = client.get("/").content.decode().split('name="csrfmiddlewaretoken" value="')[1]
    response = client.post(
        reverse("set_language"),
        {"language": "en", "next": "/", "csrfmiddlewaretoken": token.split('"')[0]},
    )
    assert response.status_code == 302


def test_query_strings_are_part_of_the_key(client, home_page):
    assert client.get("/?a=1")[HEADER] == "miss"
    assert client.get("/?a=2")[HEADER] == "miss"
    assert client.get("/?a=1")[HEADER] == "hit"
    assert client.get("/")[HEADER] == "miss"


def test_hosts_are_part_of_the_key(client, home_page):
    client.get("/", HTTP_HOST="localhost")
    assert client.get("/", HTTP_HOST="127.0.0.1")[HEADER] == "miss"
    assert client.get("/", HTTP_HOST="localhost")[HEADER] == "hit"


def test_post_is_never_served_from_the_cache_nor_kept(client, help_page):
    client.get(help_page.url)
    posted = client.post(help_page.url, {})
    assert not posted.has_header(HEADER)
    fresh = Client()
    fresh.post(help_page.url, {})
    assert fresh.get("/")[HEADER] == "miss"


def test_head_is_answered_from_the_get_entry_without_a_body_and_never_fills_it(client, help_page):
    assert client.head(help_page.url)[HEADER] == "miss"
    assert client.head(help_page.url)[HEADER] == "miss"
    got = client.get(help_page.url)
    head = client.head(help_page.url)
    assert head[HEADER] == "hit"
    assert head.content == b""
    assert head["Content-Length"] == got["Content-Length"]


def test_a_page_with_a_csrf_token_is_never_kept(client, home_page):
    form_page = make_form_page(home_page)
    first = client.get(form_page.url)
    assert "csrfmiddlewaretoken" in first.content.decode()
    second = Client().get(form_page.url)
    assert (first[HEADER], second[HEADER]) == ("miss", "miss")


def test_the_login_page_is_never_kept(client, home_page):
    url = reverse("two_factor:login")
    assert Client().get(url)[HEADER] == "miss"
    assert Client().get(url)[HEADER] == "miss"


@pytest.mark.parametrize("path", ["/admin/", "/api/v2/pages/", "/search/?q=taryfa"])
def test_other_views_are_never_kept(client, home_page, path):
    client.get(path)
    assert client.get(path).get(HEADER) in (None, "miss")


def test_a_pending_message_cookie_goes_around_the_cache(client, home_page):
    client.get("/")
    client.cookies["messages"] = "something"
    assert not client.get("/").has_header(HEADER)


def test_a_per_process_cache_turns_the_page_cache_off(client, home_page, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert not page_cache.is_enabled()
    client.get("/")
    assert not client.get("/").has_header(HEADER)


def test_zero_seconds_turns_the_page_cache_off(client, home_page, settings):
    settings.PAGE_CACHE_SECONDS = 0
    client.get("/")
    assert not client.get("/").has_header(HEADER)


@pytest.fixture
def board(home_page):
    board = AnnouncementIndexPage(title="Komunikaty", slug="komunikaty")
    home_page.add_child(instance=board)
    board.save_revision().publish()
    return board


def _announcement(board, **fields) -> AnnouncementPage:
    page = AnnouncementPage(title="Przerwa w dostawie", slug="przerwa", **fields)
    board.add_child(instance=page)
    page.save_revision().publish()
    return page


def test_an_entry_never_outlives_the_end_of_a_live_announcement(board, monkeypatch):
    now = timezone.now()
    _announcement(board, valid_from=now - timedelta(hours=1), valid_to=now + timedelta(seconds=90))
    kept_for = []
    backend = caches["default"]
    real_set = backend.set

    def spy(key, value, timeout=None, **kwargs):
        if key.startswith("okienko:page-cache:page:"):
            kept_for.append(timeout)
        return real_set(key, value, timeout, **kwargs)

    monkeypatch.setattr(backend, "set", spy)
    response = Client().get(board.url)
    assert "Przerwa w dostawie" in response.content.decode()
    assert len(kept_for) == 1
    assert 0 < kept_for[0] <= 90


def test_an_entry_never_outlives_the_start_of_a_live_announcement(board):
    now = timezone.now()
    _announcement(board, valid_from=now + timedelta(seconds=120))
    assert 0 < page_cache.seconds_to_keep(Client().get(board.url), now) <= 120


def test_an_entry_never_outlives_the_local_day_it_was_rendered_on(board, settings):
    settings.PAGE_CACHE_SECONDS = 10 * 24 * 3600
    now = timezone.now()
    midnight = page_cache._next_local_midnight(now)
    assert page_cache.seconds_to_keep(Client().get(board.url), now) <= (
        (midnight - now).total_seconds()
    )
    assert timezone.localtime(midnight).hour == 0


def test_the_generation_moves_again_when_the_change_commits(client, help_page):
    """A page rendered between the save and the commit may show the old data: it is not
    served once the change is committed. One new generation waits for the commit, however
    many changes the transaction makes."""
    help_page.intro = "Nowe wprowadzenie"
    help_page.save_revision().publish()
    client.get(help_page.url)
    assert client.get(help_page.url)[HEADER] == "hit"
    waiting = [
        callback
        for _savepoints, callback, _robust in connection.run_on_commit
        if callback is page_cache._new_generation
    ]
    assert len(waiting) == 1
    waiting[0]()
    assert client.get(help_page.url)[HEADER] == "miss"


def test_a_process_serves_its_own_copy_without_asking_the_shared_cache(client, help_page):
    client.get(help_page.url)
    assert client.get(help_page.url)[HEADER] == "hit"
    caches["default"].delete(page_cache.key_for(_get(help_page.url)))
    assert client.get(help_page.url)[HEADER] == "hit"


def test_a_change_made_in_another_process_shows_once_the_generation_is_asked_again(
    client, help_page, monkeypatch
):
    client.get(help_page.url)
    assert client.get(help_page.url)[HEADER] == "hit"
    caches["default"].set(page_cache.GENERATION_KEY, "set-by-another-process", None)
    monkeypatch.setattr(page_cache, "GENERATION_RECHECK_SECONDS", 0)
    assert client.get(help_page.url)[HEADER] == "miss"
    assert client.get(help_page.url)[HEADER] == "hit"


def test_a_local_copy_never_outlives_its_shared_entry(client, help_page, monkeypatch):
    client.get(help_page.url)
    assert client.get(help_page.url)[HEADER] == "hit"
    later = page_cache.time.time() + 301
    monkeypatch.setattr(page_cache.time, "time", lambda: later)
    assert client.get(help_page.url)[HEADER] == "miss"


def _get(path):
    from django.test import RequestFactory

    return RequestFactory().get(path)
