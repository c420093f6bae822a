"""The customer's announcements: those meant for the active customer, current and past."""

from django.core.paginator import Paginator
from django.utils import timezone
from django.views.generic import TemplateView

from customers.models import Ability
from customers.views import AreaFrameMixin

from .models import AnnouncementPage

PAST_PER_PAGE = 20


class AnnouncementListView(AreaFrameMixin, TemplateView):
    required_ability = Ability.VIEW_ACCOUNT
    template_name = "announcements/announcement_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        meant = (
            AnnouncementPage.objects.live()
            .for_membership(self.membership)
            .started(now)
            .defer_streamfields()
        )
        context["current"] = list(meant.current(now).in_display_order())
        past = meant.ended(now).order_by("-valid_to", "-pk")
        context["page_obj"] = Paginator(past, PAST_PER_PAGE).get_page(self.request.GET.get("page"))
        return context
