from django.db import models
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from stdnum.pl import nip, regon
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.api import APIField
from wagtail.contrib.forms.models import AbstractEmailForm, AbstractFormField
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from customers.ratelimit import too_many
from customers.validators import (
    compact_bank_account,
    format_bank_account,
    validate_bank_account,
    validate_nip,
    validate_regon,
)
from notifications.models import Category
from notifications.services import send_email

from .blocks import CONTACT_BLOCKS, CONTENT_BLOCKS, tel_uri
from .forms import PublicFormBuilder
from .services import accept_form_submission

FORM_SUBMISSIONS_PER_HOUR = 10
"""Submissions one address may make to one form page in an hour; more wait."""


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
    subpage_types = ["home.StandardPage", "home.ContactPage", "home.FormPage"]

    class Meta:
        verbose_name = _("standard page")
        verbose_name_plural = _("standard pages")


class ContactPage(Page):
    """How to reach the company: the hotline and every customer service office."""

    intro = models.TextField(_("introduction"), blank=True)
    hotline_phone = models.CharField(_("hotline number"), max_length=30, blank=True)
    hotline_hours = models.CharField(
        _("hotline hours"), max_length=200, blank=True, help_text=_("e.g. Mon–Fri 7:00–20:00")
    )
    branches = StreamField(CONTACT_BLOCKS, blank=True, verbose_name=_("offices"))

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("hotline_phone"), FieldPanel("hotline_hours")])],
            heading=_("Hotline"),
        ),
        FieldPanel("branches"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("intro"),
        index.SearchField("branches"),
    ]
    api_fields = [
        APIField("intro"),
        APIField("hotline_phone"),
        APIField("hotline_hours"),
        APIField("branches"),
    ]

    parent_page_types = ["home.HomePage", "home.StandardPage"]
    subpage_types = ["home.FormPage"]

    class Meta:
        verbose_name = _("contact page")
        verbose_name_plural = _("contact pages")

    @property
    def hotline_tel(self) -> str:
        return tel_uri(self.hotline_phone)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["form_pages"] = FormPage.objects.child_of(self).live().public()
        return context


class FormField(AbstractFormField):
    page = ParentalKey("FormPage", on_delete=models.CASCADE, related_name="form_fields")

    class Meta(AbstractFormField.Meta):
        verbose_name = _("form field")
        verbose_name_plural = _("form fields")


class FormPage(AbstractEmailForm):
    """A form editors build (contact form, quote request). Staff hear of each submission
    through the outbox; a signed-in customer's submission also opens a service-desk request."""

    intro = models.TextField(_("introduction"), blank=True)
    thank_you_text = models.TextField(
        _("thank-you text"), blank=True, help_text=_("Shown after the form is sent.")
    )
    request_type_slug = models.CharField(
        _("request type (slug)"),
        max_length=50,
        blank=True,
        help_text=_(
            "A signed-in customer's submission becomes a request of this type (its slug in "
            "the service desk). Empty, or a type the customer may not file: a general question."
        ),
    )

    form_builder = PublicFormBuilder

    content_panels = [
        *AbstractEmailForm.content_panels,
        FieldPanel("intro"),
        InlinePanel("form_fields", label=_("Form fields")),
        FieldPanel("thank_you_text"),
        MultiFieldPanel(
            [FieldPanel("to_address"), FieldPanel("subject")],
            heading=_("Notice to staff"),
        ),
        FieldPanel("request_type_slug"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    api_fields = [APIField("intro"), APIField("thank_you_text")]

    parent_page_types = ["home.HomePage", "home.StandardPage", "home.ContactPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("form page")
        verbose_name_plural = _("form pages")

    def serve(self, request, *args, **kwargs):
        if request.method != "POST":
            return super().serve(request, *args, **kwargs)
        form = self.get_form(request.POST, request.FILES, page=self, user=request.user)
        if form.is_valid():
            if too_many(request, f"form-page:{self.pk}", FORM_SUBMISSIONS_PER_HOUR, 3600):
                form.add_error(
                    None, _("Too many messages from your address. Please try again in an hour.")
                )
            else:
                submission, filed_request = accept_form_submission(self, request, form)
                return self.render_landing_page(
                    request, submission, *args, filed_request=filed_request, **kwargs
                )
        context = self.get_context(request)
        context["form"] = form
        return TemplateResponse(request, self.get_template(request), context)

    def render_landing_page(self, request, form_submission=None, *args, **kwargs):
        filed_request = kwargs.pop("filed_request", None)
        response = super().render_landing_page(request, form_submission, *args, **kwargs)
        response.context_data["filed_request"] = filed_request
        return response

    def process_form_submission(self, form):
        """Keep the answers; tell staff (the page's addresses) through the outbox."""
        submission = self.get_submission_class().objects.create(
            form_data=form.cleaned_data, page=self
        )
        if self.to_address:
            self.send_mail(form, submission=submission)
        return submission

    def send_mail(self, form, submission=None):
        """One outbox e-mail per address; sent by the worker after the commit, never here."""
        user = form.user if form.user and form.user.is_authenticated else None
        context = {
            "page": self,
            "subject": self.subject,
            "answers": self.render_email(form),
            "sender": user.email if user else "",
            "filed_request": getattr(form, "filed_request", None),
        }
        for address in filter(None, (a.strip() for a in self.to_address.split(","))):
            send_email(
                address,
                "home/notifications/form_submission",
                context,
                key=f"form-submission:{submission.pk}:{address}" if submission else None,
                category=Category.REQUESTS,
            )


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
