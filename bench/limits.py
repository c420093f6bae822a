"""The two limits each scenario is measured against, served by the same gunicorn setup.

`hello/`: a Django view that answers a constant, behind no middleware: the most this
machine serves through gunicorn and Django.
`stub/`: what any signed-in page must do at least: load the session, look up the user
(with the session hash check) and read one row, the user's first active membership
with its customer; the session is saved as the portal saves it (on every request).
"""

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.urls import path
from django.utils.decorators import decorator_from_middleware
from django.utils.html import escape

from customers.models import Membership


def hello(request):
    return HttpResponse(b"hello\n", content_type="text/plain")


@decorator_from_middleware(SessionMiddleware)
@decorator_from_middleware(AuthenticationMiddleware)
def stub(request):
    if not request.user.is_authenticated:
        return HttpResponse(b"not signed in\n", status=403, content_type="text/plain")
    membership = (
        Membership.objects.active()
        .filter(user=request.user)
        .select_related("customer")
        .order_by("pk")
        .first()
    )
    name = membership.customer.name if membership else ""
    return HttpResponse(f"<p>{escape(name)}</p>\n", content_type="text/html; charset=utf-8")


urlpatterns = [
    path("hello/", hello),
    path("stub/", stub),
]
