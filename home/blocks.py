"""StreamField blocks for the public pages."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageBlock


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("Text"), max_length=200)
    level = blocks.ChoiceBlock(
        label=_("Level"),
        choices=[("h2", _("Heading 2")), ("h3", _("Heading 3"))],
        default="h2",
    )

    class Meta:
        icon = "title"
        label = _("Heading")
        template = "home/blocks/heading_block.html"


class CallToActionBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Title"), max_length=120)
    text = blocks.TextBlock(label=_("Text"), required=False)
    page = blocks.PageChooserBlock(label=_("Page"), required=False)
    url = blocks.URLBlock(label=_("Or address"), required=False)
    button_text = blocks.CharBlock(label=_("Button text"), max_length=60)

    class Meta:
        icon = "link"
        label = _("Call to action")
        template = "home/blocks/call_to_action_block.html"


class FeatureBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Title"), max_length=80)
    text = blocks.TextBlock(label=_("Text"))

    class Meta:
        icon = "tick"
        label = _("Feature")


class FeatureListBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("Heading"), max_length=120, required=False)
    features = blocks.ListBlock(FeatureBlock(), label=_("Features"))

    class Meta:
        icon = "list-ul"
        label = _("Feature list")
        template = "home/blocks/feature_list_block.html"


RICH_TEXT_FEATURES = ["h2", "h3", "bold", "italic", "ol", "ul", "link", "document-link"]

CONTENT_BLOCKS = [
    ("heading", HeadingBlock()),
    ("paragraph", blocks.RichTextBlock(label=_("Paragraph"), features=RICH_TEXT_FEATURES)),
    ("image", ImageBlock(label=_("Image"))),
    ("call_to_action", CallToActionBlock()),
    ("features", FeatureListBlock()),
]


def tel_uri(number: str) -> str:
    """A `tel:` address for a number as people write it: "+48 22 100 20 30" → "tel:+48221002030"."""
    digits = "".join(ch for ch in number if ch.isdigit())
    return f"tel:{'+' if number.strip().startswith('+') else ''}{digits}" if digits else ""


class OpeningHoursBlock(blocks.StructBlock):
    days = blocks.CharBlock(label=_("Days"), max_length=60, help_text=_("e.g. Mon–Fri"))
    hours = blocks.CharBlock(
        label=_("Hours"), max_length=60, help_text=_("e.g. 8:00–16:00, or: closed")
    )

    class Meta:
        icon = "time"
        label = _("Opening hours")


class PhoneStructValue(blocks.StructValue):
    def tel(self) -> str:
        return tel_uri(self.get("number", ""))


class PhoneBlock(blocks.StructBlock):
    label = blocks.CharBlock(
        label=_("Label"), max_length=60, required=False, help_text=_("e.g. Customer service")
    )
    number = blocks.CharBlock(label=_("Number"), max_length=30)

    class Meta:
        icon = "mobile-alt"
        label = _("Phone")
        value_class = PhoneStructValue


class EmailBlock(blocks.StructBlock):
    label = blocks.CharBlock(label=_("Label"), max_length=60, required=False)
    address = blocks.EmailBlock(label=_("E-mail address"))

    class Meta:
        icon = "mail"
        label = _("E-mail")


class BranchBlock(blocks.StructBlock):
    """A customer service office: where it is, when it is open, how to reach it."""

    name = blocks.CharBlock(label=_("Name"), max_length=120)
    street = blocks.CharBlock(label=_("Street and number"), max_length=200)
    postal_code = blocks.CharBlock(label=_("Postal code"), max_length=6)
    city = blocks.CharBlock(label=_("City"), max_length=100)
    opening_hours = blocks.ListBlock(
        OpeningHoursBlock(), label=_("Opening hours"), min_num=0, default=[]
    )
    phones = blocks.ListBlock(PhoneBlock(), label=_("Phones"), min_num=0, default=[])
    emails = blocks.ListBlock(EmailBlock(), label=_("E-mails"), min_num=0, default=[])
    map_url = blocks.URLBlock(
        label=_("Map link"),
        required=False,
        help_text=_("A link to the place on a map; it opens on the map's own site."),
    )

    class Meta:
        icon = "home"
        label = _("Office")
        template = "home/blocks/branch_block.html"


CONTACT_BLOCKS = [("branch", BranchBlock())]
