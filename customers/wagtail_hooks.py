from wagtail import hooks

from home.demo import DEMO_PASSWORD, DemoContext

from .models import User

DEMO_USERS = [
    ("jan.kowalski@example.pl", "Jan", "Kowalski", False, "household customer"),
    ("biuro@hurtownia.example.pl", "Barbara", "Hurtowa", False, "business customer"),
    ("zarzad@sm-przylesie.example.pl", "Zenon", "Przylesie", False, "housing cooperative"),
    ("admin@example.pl", "Adam", "Administrator", True, "staff superuser"),
]


@hooks.register("seed_demo", order=10)
def seed_demo_users(context: DemoContext) -> None:
    """The published demo logins, plus generated customer users when asked for."""
    for email, first_name, last_name, is_admin, description in DEMO_USERS:
        _upsert_user(email, first_name, last_name, is_admin)
        context.add_login(email, DEMO_PASSWORD, description)
    for number in range(1, context.customers + 1):
        first_name, last_name = context.person_name()
        _upsert_user(f"klient{number:06d}@example.pl", first_name, last_name, False)
    if context.customers:
        context.notes.append(
            f"Generated customer logins klient000001…klient{context.customers:06d}@example.pl "
            f"share the password {DEMO_PASSWORD}."
        )


def _upsert_user(email: str, first_name: str, last_name: str, is_admin: bool) -> User:
    user, _ = User.objects.get_or_create(email=email)
    user.first_name = first_name
    user.last_name = last_name
    user.is_staff = user.is_superuser = is_admin
    user.is_active = True
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user
