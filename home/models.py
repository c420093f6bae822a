from django.db import models
from django.utils.translation import gettext_lazy as _
from stdnum.pl import nip, regon
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.api import APIField
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from customers.validators import (
    compact_bank_account,
    format_bank_account,
    validate_bank_account,
    validate_nip,
    validate_regon,
)

from .blocks import CONTENT_BLOCKS


class HomePage(Page):
    """The public landing page: who the company is and the way into the portal."""

    hero_title = models.CharField(_("hero title"), max_length=120)
    hero_text = models.TextField(_("hero text"), blank=True)
    body = StreamField(CONTENT_BLOCKS, blank=True, verbose_name=_("body"))

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel([FieldPanel("hero_title"), FieldPanel("hero_text")], heading=_("Hero")),
        FieldPanel("body"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("hero_title"),
        index.SearchField("hero_text"),
        index.SearchField("body"),
    ]
    api_fields = [APIField("hero_title"), APIField("hero_text"), APIField("body")]

    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    class Meta:
        verbose_name = _("home page")
        verbose_name_plural = _("home pages")


class StandardPage(Page):
    """An ordinary content page: about us, help, regulations, contact details."""

    intro = models.TextField(_("introduction"), blank=True)
    body = StreamField(CONTENT_BLOCKS, blank=True, verbose_name=_("body"))

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields = [
        *Page.search_fields,
        index.SearchField("intro"),
        index.SearchField("body"),
    ]
    api_fields = [APIField("intro"), APIField("body")]

    parent_page_types = ["home.HomePage", "home.StandardPage"]
    subpage_types = ["home.StandardPage"]

    class Meta:
        verbose_name = _("standard page")
        verbose_name_plural = _("standard pages")


@register_setting(icon="site")
class CompanySettings(BaseSiteSetting):
    """The company that runs the portal: shown in the footer, on invoices and documents."""

    name = models.CharField(_("company name"), max_length=200)
    street = models.CharField(_("street and number"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=6)
    city = models.CharField(_("city"), max_length=100)
    nip = models.CharField(_("NIP"), max_length=13, validators=[validate_nip])
    regon = models.CharField(_("REGON"), max_length=14, blank=True, validators=[validate_regon])
    krs = models.CharField(_("KRS"), max_length=10, blank=True)
    bank_account = models.CharField(
        _("bank account"), max_length=34, blank=True, validators=[validate_bank_account]
    )
    phone = models.CharField(_("customer service phone"), max_length=30, blank=True)
    email = models.EmailField(_("customer service e-mail"), blank=True)
    office_hours = models.CharField(_("office hours"), max_length=200, blank=True)
    logo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("logo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    panels = [
        MultiFieldPanel(
            [
                FieldPanel("name"),
                FieldPanel("street"),
                FieldPanel("postal_code"),
                FieldPanel("city"),
            ],
            heading=_("Company"),
        ),
        MultiFieldPanel(
            [FieldPanel("nip"), FieldPanel("regon"), FieldPanel("krs"), FieldPanel("bank_account")],
            heading=_("Registration and bank"),
        ),
        MultiFieldPanel(
            [FieldPanel("phone"), FieldPanel("email"), FieldPanel("office_hours")],
            heading=_("Customer service"),
        ),
        FieldPanel("logo"),
    ]

    class Meta:
        verbose_name = _("company details")

    def __str__(self) -> str:
        return self.name or str(_("company details"))

    def clean(self) -> None:
        super().clean()
        self.nip = nip.compact(self.nip) if self.nip else self.nip
        self.regon = regon.compact(self.regon) if self.regon else self.regon
        self.bank_account = compact_bank_account(self.bank_account)

    @property
    def formatted_nip(self) -> str:
        return nip.format(self.nip) if self.nip else ""

    @property
    def formatted_bank_account(self) -> str:
        return format_bank_account(self.bank_account)
