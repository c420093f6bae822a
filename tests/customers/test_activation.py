import io
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from customers.activation import (
    ActivationError,
    access_letters,
    activate,
    issue_access,
    run_access_batch,
)
from customers.models import AccessBatch, ActivationCode, AuditEvent, Membership
from documents.pdf import issuing_company
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Zielona-Lampa-nad-Wisłą-7"


@pytest.fixture
def issued(home_page):
    customer = CustomerFactory(number="100777", name="Maria Wiśniewska", email="maria@example.pl")
    return issue_access([customer], staff=None)[0]


def test_right_parts_make_a_login_and_an_owner_membership(issued):
    membership = activate(
        customer_number="100777",
        part_a=issued.part_a.lower(),
        part_b=issued.part_b.replace("-", ""),
        user=None,
        password=PASSWORD,
    )
    assert membership.role == "owner"
    assert membership.user.email == "maria@example.pl"
    assert membership.user.check_password(PASSWORD)
    issued.code.refresh_from_db()
    assert issued.code.used_at is not None


def test_a_code_works_once(issued):
    activate(
        customer_number="100777",
        part_a=issued.part_a,
        part_b=issued.part_b,
        user=None,
        password=PASSWORD,
    )
    with pytest.raises(ActivationError):
        activate(
            customer_number="100777",
            part_a=issued.part_a,
            part_b=issued.part_b,
            user=UserFactory(),
            password="",
        )


def test_five_wrong_tries_lock_the_code(issued):
    for _ in range(5):
        with pytest.raises(ActivationError):
            activate(
                customer_number="100777",
                part_a=issued.part_a,
                part_b="AAAA-AAAA",
                user=None,
                password=PASSWORD,
            )
    with pytest.raises(ActivationError):
        activate(
            customer_number="100777",
            part_a=issued.part_a,
            part_b=issued.part_b,
            user=None,
            password=PASSWORD,
        )
    issued.code.refresh_from_db()
    assert issued.code.locked_at is not None
    assert not Membership.objects.exists()


def test_expired_code_is_refused(issued):
    ActivationCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ActivationError):
        activate(
            customer_number="100777",
            part_a=issued.part_a,
            part_b=issued.part_b,
            user=None,
            password=PASSWORD,
        )


def test_unknown_number_gets_the_same_answer_as_a_wrong_code(issued):
    with pytest.raises(ActivationError) as unknown:
        activate(
            customer_number="999999",
            part_a="AAAA-AAAA",
            part_b="BBBB-BBBB",
            user=None,
            password=PASSWORD,
        )
    with pytest.raises(ActivationError) as wrong:
        activate(
            customer_number="100777",
            part_a="AAAA-AAAA",
            part_b="BBBB-BBBB",
            user=None,
            password=PASSWORD,
        )
    assert str(unknown.value) == str(wrong.value)


def test_new_codes_replace_the_unused_old_ones(issued):
    newer = issue_access([issued.customer], staff=None)[0]
    with pytest.raises(ActivationError):
        activate(
            customer_number="100777",
            part_a=issued.part_a,
            part_b=issued.part_b,
            user=None,
            password=PASSWORD,
        )
    assert activate(
        customer_number="100777",
        part_a=newer.part_a,
        part_b=newer.part_b,
        user=None,
        password=PASSWORD,
    )


def test_signed_in_user_adds_the_customer_to_their_login(issued):
    manager = UserFactory(email="zarzadca@example.pl")
    membership = activate(
        customer_number="100777", part_a=issued.part_a, part_b=issued.part_b, user=manager
    )
    assert membership.user == manager


def test_letter_prints_part_a_and_never_part_b(issued):
    pdf = access_letters([issued], issuing_company())
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert issued.part_a in text
    assert issued.part_b not in text
    assert "Maria Wiśniewska" in text
    assert "100777" in text


def test_batch_makes_one_pdf_and_emails_part_b(home_page, django_capture_on_commit_callbacks):
    customers = [CustomerFactory(email=f"k{i}@example.pl") for i in range(3)]
    batch = AccessBatch.objects.create(total=3)
    batch.customers.set(customers)
    with django_capture_on_commit_callbacks(execute=True):
        run_access_batch(batch, issuing_company())
    batch.refresh_from_db()
    assert (batch.status, batch.done, batch.total) == ("done", 3, 3)
    reader = PdfReader(batch.letters.open("rb"))
    assert len(reader.pages) == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted(c.email for c in customers)
    part_b = re.search(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}\b", mail.outbox[0].body).group()
    assert all(part_b not in page.extract_text() for page in reader.pages)


def test_failed_batch_withdraws_its_codes_and_sends_nothing(
    home_page, monkeypatch, django_capture_on_commit_callbacks
):
    customers = [CustomerFactory() for _ in range(2)]
    batch = AccessBatch.objects.create(total=2)
    batch.customers.set(customers)

    def broken(*args, **kwargs):
        raise RuntimeError("printer on fire")

    monkeypatch.setattr("customers.activation.render_letters", broken)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        run_access_batch(batch, issuing_company())
    batch.refresh_from_db()
    assert batch.status == "failed"
    assert not ActivationCode.objects.usable().exists()
    assert mail.outbox == []


def test_activation_page_creates_the_login_and_offers_a_second_factor(client, issued):
    response = client.post(
        reverse("customer:activate"),
        {
            "customer_number": "100777",
            "part_a": issued.part_a,
            "part_b": issued.part_b,
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response["Location"] == reverse("customer:activation_done")
    html = client.get(response["Location"]).content.decode()
    assert reverse("two_factor:setup") in html
    assert client.get(reverse("customer:dashboard")).status_code == 200
    assert AuditEvent.objects.filter(action="activated").exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"part_b": "AAAA-AAAA"}, "nie pasują do aktywnego kodu"),
        ({"password2": "Inne-Haslo-nad-Wisla-8"}, "Hasła różnią się"),
        ({"password1": "krotkie", "password2": "krotkie"}, "za krótkie"),
        ({"customer_number": ""}, "To pole jest wymagane"),
    ],
)
def test_bad_activation_input_says_why_and_changes_nothing(client, issued, changes, message):
    data = {
        "customer_number": "100777",
        "part_a": issued.part_a,
        "part_b": issued.part_b,
        "password1": PASSWORD,
        "password2": PASSWORD,
        **changes,
    }
    response = client.post(reverse("customer:activate"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Membership.objects.exists()
    issued.code.refresh_from_db()
    assert issued.code.used_at is None


def test_activation_attempts_are_rate_limited_per_address(client, issued):
    data = {
        "customer_number": "100777",
        "part_a": "AAAA-AAAA",
        "part_b": "BBBB-BBBB",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    for _ in range(20):
        client.post(reverse("customer:activate"), data)
    data.update(part_a=issued.part_a, part_b=issued.part_b)
    response = client.post(reverse("customer:activate"), data)
    assert "Zbyt wiele prób" in response.content.decode()


def test_staff_generate_a_batch_and_download_the_letters(
    staff_client, home_page, django_capture_on_commit_callbacks
):
    CustomerFactory(number="410001", email="a@example.pl")
    CustomerFactory(number="410002", email="b@example.pl")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("customers_access_batch_create"), {"numbers": "410001, 410002"}
        )
    batch = AccessBatch.objects.get()
    assert response["Location"] == reverse("customers_access_batch", args=[batch.pk])
    assert "Pobierz listy (PDF)" in staff_client.get(response["Location"]).content.decode()
    download = staff_client.get(reverse("customers_access_batch_letters", args=[batch.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert {"private", "no-store"} <= set(download["Cache-Control"].replace(" ", "").split(","))
    assert "attachment" in download["Content-Disposition"]
    assert len(PdfReader(io.BytesIO(b"".join(download.streaming_content))).pages) == 2


def test_unknown_customer_numbers_are_named_and_no_batch_is_made(staff_client, home_page):
    CustomerFactory(number="410001")
    response = staff_client.post(
        reverse("customers_access_batch_create"), {"numbers": "410001 999999"}
    )
    assert "999999" in response.content.decode()
    assert not AccessBatch.objects.exists()


def test_letters_are_not_for_staff_without_the_permission(client, django_user_model):
    from tests.conftest import verify_with_second_factor

    clerk = django_user_model.objects.create_user("clerk@example.pl", "x", is_staff=True)
    verify_with_second_factor(client, clerk)
    assert client.get(reverse("customers_access_batch_create")).status_code in (302, 403)
