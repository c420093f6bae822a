import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .customers import Customer, ServicePoint


class Role(models.TextChoices):
    OWNER = "owner", _("owner")
    BILLING = "billing", _("billing")
    TECHNICAL = "technical", _("technical")
    READ_ONLY = "read_only", _("read-only")


class Ability(models.TextChoices):
    """What a member may see or do for a customer; the role matrix maps roles to these."""

    VIEW_ACCOUNT = "view_account", _("see the account and its service points")
    VIEW_BILLING = "view_billing", _("see invoices, payments and balance")
    PAY = "pay", _("pay online")
    VIEW_TECHNICAL = "view_technical", _("see meters, readings and consumption")
    SUBMIT_READINGS = "submit_readings", _("submit meter readings")
    FILE_REQUESTS = "file_requests", _("file requests and complaints")
    VIEW_CONTRACTS = "view_contracts", _("see contracts")
    CHANGE_DATA = "change_data", _("ask for changes of customer data")
    MANAGE_USERS = "manage_users", _("invite and remove users")


ROLE_MATRIX: dict[str, frozenset[str]] = {
    Role.OWNER: frozenset(Ability.values),
    Role.BILLING: frozenset(
        {
            Ability.VIEW_ACCOUNT,
            Ability.VIEW_BILLING,
            Ability.PAY,
            Ability.FILE_REQUESTS,
            Ability.VIEW_CONTRACTS,
        }
    ),
    Role.TECHNICAL: frozenset(
        {
            Ability.VIEW_ACCOUNT,
            Ability.VIEW_TECHNICAL,
            Ability.SUBMIT_READINGS,
            Ability.FILE_REQUESTS,
        }
    ),
    Role.READ_ONLY: frozenset(
        {Ability.VIEW_ACCOUNT, Ability.VIEW_BILLING, Ability.VIEW_TECHNICAL, Ability.VIEW_CONTRACTS}
    ),
}
"""Which role may do what — the one place it is decided (the README prints it)."""


class MembershipQuerySet(models.QuerySet):
    def active(self) -> "MembershipQuerySet":
        return self.filter(status=Membership.Status.ACTIVE)

    def visible_to(self, user) -> "MembershipQuerySet":
        """The user's own memberships, plus all memberships of customers the user owns."""
        if not user.is_authenticated:
            return self.none()
        owned = self.active().filter(user=user, role=Role.OWNER).values("customer")
        return self.filter(models.Q(user=user) | models.Q(customer__in=owned)).distinct()


class Membership(models.Model):
    """A user's access to a customer, with a role and optionally some service points only."""

    wagtail_reference_index_ignore = True

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        PENDING = "pending", _("waiting for approval")
        REVOKED = "revoked", _("revoked")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    service_points = models.ManyToManyField(
        ServicePoint,
        verbose_name=_("service points"),
        blank=True,
        related_name="+",
        help_text=_("Leave empty for all of the customer's service points."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    external_id = models.CharField(
        _("ERP key"),
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        help_text=_("The ERP's record of this access; set by the import."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["customer__name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "customer"], name="one_membership_per_customer")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.customer} ({self.get_role_display()})"

    def clean(self) -> None:
        super().clean()
        # An empty key saved from a form is no key: many members have none.
        self.external_id = self.external_id or None

    @property
    def abilities(self) -> frozenset[str]:
        if self.status != self.Status.ACTIVE:
            return frozenset()
        return ROLE_MATRIX[self.role]

    def can(self, ability: str) -> bool:
        return ability in self.abilities

    @property
    def is_limited_to_service_points(self) -> bool:
        """Whether the membership reaches only some service points. The gate loads the answer
        with the membership (`limited_to_points`); anywhere else it costs a query."""
        if self.pk is None:
            return False
        if hasattr(self, "limited_to_points"):
            return self.limited_to_points
        return self.service_points.exists()


class InvitationQuerySet(models.QuerySet):
    def pending(self) -> "InvitationQuerySet":
        from django.utils import timezone

        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )

    def visible_to(self, user) -> "InvitationQuerySet":
        """Invitations to customers the user owns."""
        if not user.is_authenticated:
            return self.none()
        owned = Membership.objects.active().filter(user=user, role=Role.OWNER).values("customer")
        return self.filter(customer__in=owned)


class Invitation(models.Model):
    """An invitation for someone to use the portal for the customer, with a role: from an
    owner, or from the company itself (an ERP import; `invited_by` is empty then).

    The link in the e-mail carries a random token; only its hash is stored.
    """

    wagtail_reference_index_ignore = True

    VALID_DAYS = 7

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    service_points = models.ManyToManyField(
        ServicePoint, verbose_name=_("service points"), blank=True, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    # Not unique: one ERP record may be invited again (renewed, changed), the older
    # invitations staying as history. Acceptance carries the key to the membership.
    external_id = models.CharField(_("ERP key"), max_length=64, blank=True, db_index=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.customer} ({self.get_role_display()})"
