import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory
from wagtail.models import Page, Site

from home.models import CompanySettings, HomePage, StandardPage

pytestmark = pytest.mark.django_db

DEMO_LOGINS = [
    "jan.kowalski@example.pl",
    "biuro@hurtownia.example.pl",
    "admin@example.pl",
]


def _counts(django_user_model):
    return (
        Page.objects.count(),
        django_user_model.objects.count(),
        CompanySettings.objects.count(),
    )


def test_seed_demo_creates_the_site_and_the_published_logins(django_user_model, capsys):
    call_command("seed_demo")
    output = capsys.readouterr().out
    site = Site.objects.get(is_default_site=True)
    assert isinstance(site.root_page.specific, HomePage)
    assert StandardPage.objects.child_of(site.root_page).live().count() == 3
    assert CompanySettings.for_site(site).nip == "5260250274"
    for email in DEMO_LOGINS:
        assert email in output
        request = RequestFactory().post("/account/login/")
        assert authenticate(request, username=email, password="Okienko-demo-2026") is not None
    assert django_user_model.objects.get(email="admin@example.pl").is_superuser
    assert not django_user_model.objects.get(email="jan.kowalski@example.pl").is_staff


def test_seed_demo_twice_changes_nothing(django_user_model):
    call_command("seed_demo", customers=5)
    first = _counts(django_user_model)
    call_command("seed_demo", customers=5)
    assert _counts(django_user_model) == first


def test_seed_demo_keeps_what_editors_changed():
    call_command("seed_demo")
    home = HomePage.objects.get()
    home.hero_title = "Zmienione przez redakcję"
    home.save_revision().publish()
    call_command("seed_demo")
    assert HomePage.objects.get().hero_title == "Zmienione przez redakcję"


def test_seed_demo_is_deterministic_for_a_seed(django_user_model):
    call_command("seed_demo", customers=4, seed=7)
    first = list(
        django_user_model.objects.filter(email__startswith="klient")
        .order_by("email")
        .values_list("first_name", "last_name")
    )
    django_user_model.objects.filter(email__startswith="klient").delete()
    call_command("seed_demo", customers=4, seed=7)
    again = list(
        django_user_model.objects.filter(email__startswith="klient")
        .order_by("email")
        .values_list("first_name", "last_name")
    )
    assert first == again
    assert len(first) == 4


def test_demo_admin_signs_in_with_a_printed_backup_code(client, capsys):
    import re

    from django.urls import reverse

    call_command("seed_demo")
    code = re.search(r"use a backup code \((\w+),", capsys.readouterr().out).group(1)
    login = reverse("two_factor:login")
    client.post(
        login,
        {
            "login_view-current_step": "auth",
            "auth-username": "admin@example.pl",
            "auth-password": "Okienko-demo-2026",
        },
    )
    client.post(login, {"login_view-current_step": "token", "wizard_goto_step": "backup"})
    response = client.post(login, {"login_view-current_step": "backup", "backup-otp_token": code})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
