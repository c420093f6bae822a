"""Published documents: price lists with their versions, and document libraries.

Who may see them is Wagtail's page and collection privacy (segments are Django
groups); lists here show only what their reader could open.
"""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from taggit.models import Tag
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.api import APIField
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.documents import get_document_model
from wagtail.fields import StreamField
from wagtail.models import Page, PageManager
from wagtail.search import index

from .blocks import PriceTablesBlock
from .forms import LibraryFilterForm, PriceListPageForm
from .pdf import issuing_company
from .pricelist_pdf import render_price_list
from .pricelists import Comparison, PriceRow, compare_price_rows
from .privacy import ViewablePageQuerySet, documents_visible_to

DOCUMENTS_PER_PAGE = 20


class PriceListQuerySet(ViewablePageQuerySet):
    def effective_on(self, day: date) -> "PriceListQuerySet":
        """Versions in force on ``day`` (an open end means until replaced)."""
        return self.filter(effective_from__lte=day).filter(
            models.Q(effective_to__isnull=True) | models.Q(effective_to__gte=day)
        )


PriceListManager = PageManager.from_queryset(PriceListQuerySet)


class PriceListIndexPage(Page):
    """One price list (e.g. for households) whose versions are its child pages.

    Past versions stay published and listed; make the index private to a segment's
    group and every version under it follows.
    """

    intro = models.TextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    api_fields = [APIField("intro")]

    parent_page_types = ["home.HomePage"]
    subpage_types = ["documents.PriceListPage"]

    class Meta:
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")

    def versions_for(self, user) -> list["PriceListPage"]:
        """Live versions the user may open, newest first, each with ``valid_until`` set.

        A version without an end date is valid until the day before the next one starts.
        """
        versions = list(
            PriceListPage.objects.child_of(self)
            .live()
            .viewable_by(user)
            .order_by("-effective_from", "-pk")
        )
        following = None
        for version in versions:
            version.valid_until = version.effective_to or (
                following.effective_from - timedelta(days=1) if following else None
            )
            following = version
        return versions

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        today = timezone.localdate()
        versions = self.versions_for(request.user)
        current = next((v for v in versions if v.is_effective_on(today)), None)
        context.update(
            {
                "today": today,
                "current": current,
                "future_versions": [v for v in reversed(versions) if v.effective_from > today],
                "past_versions": [
                    v for v in versions if v.effective_from <= today and v is not current
                ],
            }
        )
        return context


class PriceListPage(RoutablePageMixin, Page):
    """One version of a price list, in force from ``effective_from``."""

    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(
        _("effective to"),
        null=True,
        blank=True,
        help_text=_("Leave empty when the version holds until the next one takes effect."),
    )
    intro = models.TextField(_("introduction"), blank=True)
    tables = StreamField(PriceTablesBlock(), verbose_name=_("tariff tables"))

    objects = PriceListManager()

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("effective_from"), FieldPanel("effective_to")])],
            heading=_("Validity"),
        ),
        FieldPanel("intro"),
        FieldPanel("tables"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("intro"),
        index.SearchField("tables"),
        index.FilterField("effective_from"),
    ]
    api_fields = [
        APIField("effective_from"),
        APIField("effective_to"),
        APIField("intro"),
        APIField("tables"),
    ]
    base_form_class = PriceListPageForm

    parent_page_types = ["documents.PriceListIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("price list version")
        verbose_name_plural = _("price list versions")

    def clean(self):
        super().clean()
        if self.effective_to and self.effective_from and self.effective_to < self.effective_from:
            raise ValidationError(
                {"effective_to": _("A price list cannot end before it takes effect.")}
            )

    def is_effective_on(self, day: date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )

    def price_rows(self) -> list[PriceRow]:
        """Every item of every table, in the order printed."""
        return [row for table in self.tables for row in table.value.price_rows()]

    def previous_version(self, user) -> "PriceListPage | None":
        """The live version that took effect last before this one, if the user may open it."""
        if not self.pk:
            return None
        return (
            PriceListPage.objects.sibling_of(self, inclusive=False)
            .live()
            .viewable_by(user)
            .filter(effective_from__lt=self.effective_from)
            .order_by("-effective_from", "-pk")
            .first()
        )

    def comparison_with(self, previous: "PriceListPage | None") -> Comparison | None:
        if previous is None:
            return None
        return compare_price_rows(previous.price_rows(), self.price_rows())

    def pdf_filename(self) -> str:
        return f"{self.slug}-{self.effective_from.isoformat()}.pdf"

    def pdf_url(self, request=None) -> str:
        url = self.get_url(request=request)
        return url + self.reverse_subpage("pdf") if url else ""

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        previous = self.previous_version(request.user)
        context.update(
            {
                "previous": previous,
                "comparison": self.comparison_with(previous),
                "pdf_url": self.pdf_url(request),
                "is_current": self.is_effective_on(timezone.localdate()),
            }
        )
        return context

    @path("pdf/")
    def pdf(self, request):
        """The version as a PDF on the house pages; page privacy guards it like the page."""
        response = HttpResponse(
            render_price_list(self, issuing_company()), content_type="application/pdf"
        )
        response["Content-Disposition"] = f'inline; filename="{self.pdf_filename()}"'
        return response


class DocumentLibraryPage(Page):
    """The documents of one collection (and its subcollections), by category and words.

    Categories are the documents' tags. A document of a collection private to a segment
    is listed only to those who may open it, and every link goes through Wagtail's
    serve view, which checks the collection's privacy again.
    """

    intro = models.TextField(_("introduction"), blank=True)
    # Not PROTECT: the admin's collection delete view does not expect to be refused.
    # A library whose collection was deleted lists nothing until an editor picks another.
    collection = models.ForeignKey(
        "wagtailcore.Collection",
        verbose_name=_("collection"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Documents of this collection and its subcollections are listed."),
    )

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("collection")]
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    api_fields = [APIField("intro")]

    parent_page_types = ["home.HomePage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("document library")
        verbose_name_plural = _("document libraries")

    def documents_for(self, user):
        if self.collection is None:
            return get_document_model().objects.none()
        return documents_visible_to(user, self.collection)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        documents = self.documents_for(request.user)
        tags = list(Tag.objects.filter(document__in=documents).distinct().order_by("name"))
        form = LibraryFilterForm(request.GET or None, tags=tags)
        if form.is_valid():
            if words := form.cleaned_data["q"].strip():
                documents = documents.filter(
                    models.Q(title__icontains=words) | models.Q(tags__name__icontains=words)
                )
            if tag := form.cleaned_data["tag"]:
                documents = documents.filter(tags__slug=tag)
        documents = (
            documents.distinct()
            .select_related("collection")
            .prefetch_related("tags")
            .order_by("title", "pk")
        )
        context.update(
            {
                "form": form,
                "tags": tags,
                "filtered": form.is_bound and form.is_valid() and any(form.cleaned_data.values()),
                "documents": Paginator(documents, DOCUMENTS_PER_PAGE).get_page(
                    request.GET.get("page")
                ),
            }
        )
        return context
