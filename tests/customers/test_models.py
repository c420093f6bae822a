import pytest
from django.contrib.auth import authenticate
from django.db import IntegrityError
from django.test import RequestFactory

pytestmark = pytest.mark.django_db


def test_email_is_the_login_and_is_stored_lower_case(django_user_model):
    user = django_user_model.objects.create_user("Anna.Nowak@Example.PL", "s3cret-Password-1")
    assert user.email == "anna.nowak@example.pl"
    request = RequestFactory().post("/account/login/")
    assert (
        authenticate(request, username="ANNA.NOWAK@example.pl", password="s3cret-Password-1")
        == user
    )


def test_two_users_cannot_share_an_email(django_user_model):
    django_user_model.objects.create_user("a@example.pl", "x")
    with pytest.raises(IntegrityError):
        django_user_model.objects.create_user("A@example.pl", "y")


def test_superuser_is_staff(django_user_model):
    admin = django_user_model.objects.create_superuser("root@example.pl", "x")
    assert admin.is_staff and admin.is_superuser


def test_user_without_email_is_refused(django_user_model):
    with pytest.raises(ValueError, match="e-mail"):
        django_user_model.objects.create_user("", "x")
