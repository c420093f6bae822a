from django.core.paginator import Paginator
from django.template.response import TemplateResponse
from wagtail import hooks
from wagtail.models import Page

from customers.area import SEARCH_RESULTS_PER_KIND, SearchResult
from customers.gate import active_membership

RESULTS_PER_PAGE = 10


def customer_results(request, query: str) -> list[SearchResult]:
    """The signed-in customer's own things that match: rooms answer `customer_search` with
    (request, membership, query), each through the gate and for what the role may see."""
    if not query or not request.user.is_authenticated:
        return []
    membership = active_membership(request)
    if membership is None:
        return []
    results = []
    for fn in hooks.get_hooks("customer_search"):
        results.extend(fn(request, membership, query)[:SEARCH_RESULTS_PER_KIND])
    return results


def search(request):
    """Full-text search over the public pages (private pages never appear), and for a
    signed-in customer their invoices, contracts and messages too."""
    query = request.GET.get("q", "").strip()[:200]
    results = Page.objects.none()
    if query:
        results = Page.objects.live().public().specific().search(query, order_by_relevance=True)
    page = Paginator(results, RESULTS_PER_PAGE).get_page(request.GET.get("page"))
    mine = customer_results(request, query) if page.number == 1 else []
    return TemplateResponse(
        request,
        "home/search.html",
        {"query": query, "results": page, "customer_results": mine},
    )
