from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from wagtail import hooks
from wagtail.models import BaseViewRestriction


def _refuse_signed_in_reader(request, restrictions):
    """403 for a signed-in reader outside a group restriction; strangers are left to Wagtail.

    Wagtail sends everyone who fails a restriction to the login page. A stranger should
    go there (and comes back after signing in); a customer who is signed in already
    would only loop through it, so they are told plainly, as Django's own access mixins
    answer an authenticated user.
    """
    if not request.user.is_authenticated:
        return None
    for restriction in restrictions:
        if restriction.restriction_type == BaseViewRestriction.GROUPS and not (
            restriction.accept_request(request)
        ):
            response = TemplateResponse(request, "documents/restricted.html", status=403)
            add_never_cache_headers(response)
            return response
    return None


@hooks.register("before_serve_page")
def refuse_page_outside_audience(page, request, serve_args, serve_kwargs):
    return _refuse_signed_in_reader(request, page.get_view_restrictions())


@hooks.register("before_serve_document", order=-1)
def refuse_document_outside_audience(document, request):
    return _refuse_signed_in_reader(request, document.collection.get_view_restrictions())


@hooks.register("seed_demo", order=60)
def seed_demo_documents(context):
    from .demo import seed_demo_documents as seed

    seed(context)
