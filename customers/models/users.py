from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.validators import validate_mobile_phone


class UserManager(BaseUserManager):
    """Users sign in with their e-mail address; there is no separate username."""

    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields) -> "User":
        if not email:
            raise ValueError(_("An e-mail address is required."))
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not (extra_fields["is_staff"] and extra_fields["is_superuser"]):
            raise ValueError(_("A superuser must have is_staff and is_superuser set."))
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username: str) -> "User":
        return self.get(email__iexact=username)


class User(AbstractUser):
    """A person who signs in: a customer's user or a member of staff.

    The e-mail address is the login. Which customers a user may act for is
    decided by memberships, not by anything on the user.
    """

    wagtail_reference_index_ignore = True

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)
    active_customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("active customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The customer the portal opens with; remembered between visits."),
    )

    mobile_phone = models.CharField(
        _("mobile phone"),
        max_length=20,
        blank=True,
        validators=[validate_mobile_phone],
        help_text=_("For text messages, e.g. +48 600 100 200."),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()
