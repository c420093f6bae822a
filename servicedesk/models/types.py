"""What a customer may ask for: request types with their form, routing and SLA."""

from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable

from customers.models import Segment

from .calendar import WorkingCalendar


class Team(models.Model):
    """A team of the desk: a Django group, with a lead who hears of every breach."""

    group = models.OneToOneField(
        Group, verbose_name=_("group"), on_delete=models.CASCADE, related_name="desk_team"
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("team lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        limit_choices_to={"is_staff": True},
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["group__name"]

    def __str__(self) -> str:
        return self.group.name


class Priority(models.TextChoices):
    LOW = "low", _("low")
    NORMAL = "normal", _("normal")
    HIGH = "high", _("high")
    URGENT = "urgent", _("urgent")


class RequestTypeQuerySet(models.QuerySet):
    def active(self) -> "RequestTypeQuerySet":
        return self.filter(is_active=True)

    def for_membership(self, membership) -> "RequestTypeQuerySet":
        """Types this member may file: their role allowed, their customer in a segment (if any)."""
        segments = membership.customer.segments.all()
        return (
            self.active()
            .filter(models.Q(segments__isnull=True) | models.Q(segments__in=segments))
            .filter(allowed_roles__icontains=membership.role)
            .distinct()
        )


class RequestType(ClusterableModel):
    class Category(models.TextChoices):
        COMPLAINT = "complaint", _("complaint")
        SERVICE = "service", _("service")
        DATA_CHANGE = "data_change", _("data change")
        QUOTE = "quote", _("quote request")
        ORDER = "order", _("order")
        APPOINTMENT = "appointment", _("appointment")
        GENERAL = "general", _("general question")

    name = models.CharField(_("name (Polish)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    slug = models.SlugField(_("slug"), unique=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    description = models.TextField(_("description (Polish)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL
    )
    default_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("default assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        limit_choices_to={"is_staff": True},
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    calendar = models.ForeignKey(
        WorkingCalendar, verbose_name=_("working calendar"), on_delete=models.PROTECT
    )
    first_response_hours = models.PositiveIntegerField(
        _("first response within (business hours)"), default=8
    )
    resolution_hours = models.PositiveIntegerField(
        _("resolution within (business hours)"), default=40
    )
    statutory_days = models.PositiveIntegerField(
        _("statutory deadline (days)"),
        null=True,
        blank=True,
        help_text=_("For complaints: the days the law gives to answer, counted in calendar days."),
    )
    segments = models.ManyToManyField(
        Segment,
        verbose_name=_("only for segments"),
        blank=True,
        related_name="+",
        help_text=_("Empty: every customer may file it."),
    )
    allowed_roles = models.CharField(
        _("roles that may file it"),
        max_length=60,
        default="owner,billing,technical",
        help_text=_("Comma separated: owner, billing, technical."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("position in the list"), default=0)

    objects = RequestTypeQuerySet.as_manager()

    class Meta:
        verbose_name = _("request type")
        verbose_name_plural = _("request types")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return (
            self.name_en
            if (get_language() or "pl").startswith("en") and self.name_en
            else self.name
        )

    @property
    def display_description(self) -> str:
        english = (get_language() or "pl").startswith("en")
        return self.description_en if english and self.description_en else self.description


class FormField(Orderable):
    """One field of a request type's form; the answers are kept under `key`."""

    class Kind(models.TextChoices):
        TEXT = "text", _("text")
        LONG_TEXT = "long_text", _("long text")
        NUMBER = "number", _("number")
        DATE = "date", _("date")
        CHOICE = "choice", _("choice")
        YES_NO = "yes_no", _("yes/no")
        FILE = "file", _("file")
        SERVICE_POINT = "service_point", _("service point")
        ORDER_LINES = "order_lines", _("order lines from the price list")

    request_type = ParentalKey(RequestType, on_delete=models.CASCADE, related_name="fields")
    key = models.SlugField(_("key"), max_length=40)
    label = models.CharField(_("label (Polish)"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    required = models.BooleanField(_("required"), default=True)
    help_text = models.CharField(_("help text (Polish)"), max_length=300, blank=True)
    help_text_en = models.CharField(_("help text (English)"), max_length=300, blank=True)
    choices = models.TextField(
        _("choices"), blank=True, help_text=_("For a choice: one per line, 'Polish | English'.")
    )
    min_value = models.DecimalField(
        _("minimum"), max_digits=14, decimal_places=3, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("maximum"), max_digits=14, decimal_places=3, null=True, blank=True
    )

    class Meta(Orderable.Meta):
        verbose_name = _("form field")
        verbose_name_plural = _("form fields")
        constraints = [
            models.UniqueConstraint(fields=["request_type", "key"], name="form_field_key_unique")
        ]

    def __str__(self) -> str:
        return self.label

    def _english(self) -> bool:
        return (get_language() or "pl").startswith("en")

    @property
    def display_label(self) -> str:
        return self.label_en if self._english() and self.label_en else self.label

    @property
    def display_help_text(self) -> str:
        return self.help_text_en if self._english() and self.help_text_en else self.help_text

    def choice_pairs(self) -> list[tuple[str, str]]:
        """(stored value, shown label): the Polish text is stored, the reader's language shown."""
        pairs = []
        for line in self.choices.splitlines():
            if not line.strip():
                continue
            polish, _sep, english = (part.strip() for part in line.partition("|"))
            pairs.append((polish, english if self._english() and english else polish))
        return pairs


class RoutingRule(Orderable):
    """Requests about a service point in an area go to another team or person."""

    request_type = ParentalKey(RequestType, on_delete=models.CASCADE, related_name="routing_rules")
    postal_code_prefix = models.CharField(
        _("postal code starts with"), max_length=6, blank=True, help_text=_("e.g. 05- or 02-5")
    )
    city = models.CharField(_("city"), max_length=100, blank=True)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.CASCADE
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"is_staff": True},
    )

    class Meta(Orderable.Meta):
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def matches(self, service_point) -> bool:
        if service_point is None or not (self.postal_code_prefix or self.city):
            return False
        if self.postal_code_prefix and not service_point.postal_code.startswith(
            self.postal_code_prefix
        ):
            return False
        return not self.city or service_point.city.casefold() == self.city.casefold()


class CatalogueItem(models.Model):
    """What business customers may order or ask a quote for, at a net price."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name (Polish)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    unit = models.CharField(_("unit"), max_length=20, default="szt.")
    unit_price = models.DecimalField(
        _("net price"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    vat_rate = models.DecimalField(
        _("VAT rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("23"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("price list item")
        verbose_name_plural = _("price list items")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.display_name}"

    @property
    def display_name(self) -> str:
        return (
            self.name_en
            if (get_language() or "pl").startswith("en") and self.name_en
            else self.name
        )
