"""The Atom feed of public announcements, at `<board URL>feed/`."""

from django.contrib.syndication.views import Feed
from django.utils.feedgenerator import Atom1Feed
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

FEED_SIZE = 20


class PublicAnnouncementsFeed(Feed):
    """Public announcements that have started (current and recent past), newest first."""

    feed_type = Atom1Feed

    def get_object(self, request, board):
        self.request = request
        return board

    def title(self, board) -> str:
        return board.title

    def subtitle(self, board) -> str:
        return board.intro or str(_("Announcements"))

    def link(self, board) -> str:
        return board.get_url(self.request)

    def items(self, board):
        return board.public_announcements().started().order_by("-valid_from", "-pk")[:FEED_SIZE]

    def item_title(self, item) -> str:
        return item.title

    def item_description(self, item) -> str:
        return Truncator(item.plain_text()).chars(1000)

    def item_link(self, item) -> str:
        return item.get_url(self.request)

    def item_pubdate(self, item):
        return item.valid_from

    def item_updateddate(self, item):
        return item.last_published_at or item.valid_from

    def item_categories(self, item):
        return [item.get_severity_display()]
