"""Announcements: the public notice board and notices to chosen customers.

An AnnouncementPage says something (information, an important notice, an outage) for a
period, to an audience: everyone, all customers, segments, chosen customers or areas.
Publishing one sends it by e-mail/SMS to a non-public audience (see `services.py`).
"""

from html import unescape

from django import forms
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList, TabbedInterface
from wagtail.api import APIField
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import StreamField
from wagtail.models import Page, PageManager, PageQuerySet
from wagtail.search import index

from . import audience as audiences
from .blocks import ANNOUNCEMENT_BLOCKS
from .forms import AnnouncementPageForm


class Severity(models.TextChoices):
    INFORMATION = "information", _("information")
    IMPORTANT = "important", _("important")
    OUTAGE = "outage", _("outage")


class Audience(models.TextChoices):
    PUBLIC = audiences.PUBLIC, _("everyone (public)")
    ALL_CUSTOMERS = audiences.ALL_CUSTOMERS, _("all customers")
    SEGMENTS = audiences.SEGMENTS, _("customers in chosen segments")
    CUSTOMERS = audiences.CUSTOMERS, _("chosen customers")
    AREAS = audiences.AREAS, _("customers in chosen areas")


class AnnouncementIndexPage(RoutablePageMixin, Page):
    """The notice board: public announcements valid now, and their Atom feed at `feed/`."""

    intro = models.TextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    api_fields = [APIField("intro")]

    parent_page_types = ["home.HomePage"]
    subpage_types = ["announcements.AnnouncementPage"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("announcement board")
        verbose_name_plural = _("announcement boards")

    def public_announcements(self) -> "AnnouncementQuerySet":
        """Live public announcements of this board, whatever their validity."""
        return (
            AnnouncementPage.objects.child_of(self).live().public().with_audience(Audience.PUBLIC)
        )

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["announcements"] = (
            self.public_announcements().current().in_display_order().defer_streamfields()
        )
        context["feed_url"] = self.get_url(request) + self.reverse_subpage("feed")
        return context

    @path("feed/", name="feed")
    def feed(self, request):
        from .feeds import PublicAnnouncementsFeed

        return PublicAnnouncementsFeed()(request, board=self)


class AnnouncementQuerySet(PageQuerySet):
    def current(self, at=None) -> "AnnouncementQuerySet":
        """Valid at `at` (now): started, and not ended."""
        at = at or timezone.now()
        return self.filter(valid_from__lte=at).filter(
            models.Q(valid_to__isnull=True) | models.Q(valid_to__gt=at)
        )

    def started(self, at=None) -> "AnnouncementQuerySet":
        """Valid now or in the past: what a reader may look back on."""
        return self.filter(valid_from__lte=at or timezone.now())

    def ended(self, at=None) -> "AnnouncementQuerySet":
        return self.filter(valid_to__lte=at or timezone.now())

    def with_audience(self, audience: str) -> "AnnouncementQuerySet":
        return self.filter(audience=audience)

    def for_customer(self, customer) -> "AnnouncementQuerySet":
        """Announcements meant for the customer: public ones, those for all customers, and
        those targeting its segments, itself, or the areas of its active service points
        (read here, once)."""
        return self.filter(
            audiences.customer_condition(
                customer, AnnouncementPage.segments.through, AnnouncementPage.customers.through
            )
        )

    def for_membership(self, membership) -> "AnnouncementQuerySet":
        """What the customer area shows a member: announcements meant for its customer."""
        return self.for_customer(membership.customer)

    def in_display_order(self) -> "AnnouncementQuerySet":
        """Pinned first, then the newest."""
        return self.order_by("-pinned", "-valid_from", "-pk")


AnnouncementManager = PageManager.from_queryset(AnnouncementQuerySet)


class AnnouncementPage(Page):
    """One announcement, shown for a period to its audience, and sent to it when published."""

    Severity = Severity
    Audience = Audience

    severity = models.CharField(
        _("severity"), max_length=20, choices=Severity.choices, default=Severity.INFORMATION
    )
    pinned = models.BooleanField(
        _("pinned"), default=False, help_text=_("Pinned announcements are listed first.")
    )
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    valid_to = models.DateTimeField(
        _("valid until"), null=True, blank=True, help_text=_("Leave empty for no end.")
    )
    body = StreamField(ANNOUNCEMENT_BLOCKS, blank=True, verbose_name=_("body"))

    audience = models.CharField(
        _("audience"), max_length=20, choices=Audience.choices, default=Audience.PUBLIC
    )
    segments = ParentalManyToManyField(
        "customers.Segment",
        verbose_name=_("segments"),
        blank=True,
        related_name="announcements",
        help_text=_("For the audience “customers in chosen segments”."),
    )
    customers = ParentalManyToManyField(
        "customers.Customer",
        verbose_name=_("customers"),
        blank=True,
        related_name="announcements",
        help_text=_("For the audience “chosen customers”."),
    )
    postcodes = models.TextField(
        _("postal codes"),
        blank=True,
        help_text=_(
            "For the audience “customers in chosen areas”: one per line or separated by "
            "commas; a beginning such as 00-9 covers 00-900 to 00-999."
        ),
    )
    localities = models.TextField(
        _("localities"),
        blank=True,
        help_text=_(
            "For the audience “customers in chosen areas”: one per line, matched on the "
            "city of a service point regardless of case."
        ),
    )
    # What the two lists above hold, one normalized value a line, for matching in SQL.
    postcode_lines = models.TextField(editable=False, blank=True, default="")
    locality_lines = models.TextField(editable=False, blank=True, default="")

    send_email = models.BooleanField(
        _("send by e-mail"),
        default=False,
        help_text=_("When published, e-mail it to the users of the audience's customers."),
    )
    send_sms = models.BooleanField(
        _("send by SMS"),
        default=False,
        help_text=_("When published, text it to those users who accept SMS for this kind."),
    )

    objects = AnnouncementManager()

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel([FieldPanel("severity"), FieldPanel("pinned")], heading=_("Kind")),
        MultiFieldPanel(
            [FieldPanel("valid_from"), FieldPanel("valid_to")], heading=_("Shown in the portal")
        ),
        FieldPanel("body"),
    ]
    audience_panels = [
        FieldPanel("audience"),
        MultiFieldPanel(
            [
                FieldPanel("segments", widget=forms.CheckboxSelectMultiple),
                FieldPanel("customers"),
            ],
            heading=_("Segments or customers"),
        ),
        MultiFieldPanel([FieldPanel("postcodes"), FieldPanel("localities")], heading=_("Areas")),
        MultiFieldPanel(
            [FieldPanel("send_email"), FieldPanel("send_sms")],
            heading=_("Channels (the portal always shows it)"),
        ),
    ]
    edit_handler = TabbedInterface(
        [
            ObjectList(content_panels, heading=_("Content")),
            ObjectList(audience_panels, heading=_("Audience and channels")),
            ObjectList(Page.promote_panels, heading=_("Promote")),
            ObjectList(Page.settings_panels, heading=_("Settings")),
        ],
    )
    base_form_class = AnnouncementPageForm

    search_fields = [*Page.search_fields, index.SearchField("body")]
    api_fields = [
        APIField("severity"),
        APIField("pinned"),
        APIField("valid_from"),
        APIField("valid_to"),
        APIField("body"),
    ]

    parent_page_types = ["announcements.AnnouncementIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.valid_to and self.valid_from and self.valid_to <= self.valid_from:
            errors["valid_to"] = _("The end must come after the start.")
        prefixes, invalid = audiences.parse_postcodes(self.postcodes)
        if invalid:
            errors["postcodes"] = _(
                "Not a postal code or its beginning: %(entries)s. Write e.g. 00-950 or 00-9."
            ) % {"entries": ", ".join(invalid)}
        elif self.audience == Audience.AREAS and not (
            prefixes or audiences.parse_localities(self.localities)
        ):
            errors["postcodes"] = _("Give at least one postal code or locality.")
        if self.audience == Audience.PUBLIC and (self.send_email or self.send_sms):
            field = "send_email" if self.send_email else "send_sms"
            errors[field] = _(
                "E-mails and text messages go to customers only: choose an audience other "
                "than everyone, or untick the channel."
            )
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        # Derived columns only: the matching form of the postal codes and localities.
        prefixes, _invalid = audiences.parse_postcodes(self.postcodes)
        self.postcode_lines = audiences.lines(prefixes)
        self.locality_lines = audiences.lines(
            [locality.casefold() for locality in audiences.parse_localities(self.localities)]
        )
        return super().save(*args, **kwargs)

    @property
    def is_outage(self) -> bool:
        return self.severity == Severity.OUTAGE

    @property
    def is_public(self) -> bool:
        return self.audience == Audience.PUBLIC

    def is_current(self, at=None) -> bool:
        at = at or timezone.now()
        return self.valid_from <= at and (self.valid_to is None or self.valid_to > at)

    @property
    def channels(self) -> set[str]:
        """The channels it is sent by on publishing: none for a public announcement."""
        from notifications.models import Channel

        if self.is_public:
            return set()
        return {
            channel
            for channel, chosen in ((Channel.EMAIL, self.send_email), (Channel.SMS, self.send_sms))
            if chosen
        }

    def plain_text(self) -> str:
        """The body as plain text: for e-mails, feeds and summaries."""
        parts = []
        for block in self.body:
            if block.block_type == "heading":
                parts.append(block.value["text"])
            elif block.block_type == "paragraph":
                html = str(block.value)
                for tag in ("</p>", "<br>", "<br/>", "</li>", "</h2>", "</h3>"):
                    html = html.replace(tag, f"{tag}\n")
                html = html.replace("<li>", "<li>- ")
                text = unescape(strip_tags(html))
                parts.append("\n".join(line.strip() for line in text.splitlines()).strip())
        return "\n\n".join(part for part in parts if part)

    def may_be_read_by(self, user) -> bool:
        """Members of the audience's customers read it; editors of the page too."""
        if audiences.reaches(self, user):
            return True
        return bool(
            user.is_authenticated and user.is_staff and self.permissions_for_user(user).can_edit()
        )

    def serve(self, request, *args, **kwargs):
        if not getattr(request, "is_preview", False) and not self.may_be_read_by(request.user):
            if not request.user.is_authenticated:
                return redirect_to_login(
                    request.get_full_path(), settings.WAGTAIL_FRONTEND_LOGIN_URL
                )
            raise Http404
        return super().serve(request, *args, **kwargs)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["is_current"] = self.is_current()
        return context


class PendingFanOut(models.Model):
    """An announcement whose notices are still to be written: set when it is published,
    cleared when its fan-out task has run. A publication whose task never reached the
    broker (it was down at commit time) is picked up again by a periodic sweep."""

    page = models.OneToOneField(
        AnnouncementPage, on_delete=models.CASCADE, related_name="pending_fan_out"
    )
    since = models.DateTimeField(_("published at"))

    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("pending fan-out")
        verbose_name_plural = _("pending fan-outs")

    def __str__(self) -> str:
        return f"{self.page_id} @ {self.since:%Y-%m-%d %H:%M}"
