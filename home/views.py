from django.core.paginator import Paginator
from django.template.response import TemplateResponse
from wagtail.models import Page

RESULTS_PER_PAGE = 10


def search(request):
    """Full-text search over the public pages; private pages never appear."""
    query = request.GET.get("q", "").strip()[:200]
    results = Page.objects.none()
    if query:
        results = Page.objects.live().public().specific().search(query, order_by_relevance=True)
    page = Paginator(results, RESULTS_PER_PAGE).get_page(request.GET.get("page"))
    return TemplateResponse(request, "home/search.html", {"query": query, "results": page})
