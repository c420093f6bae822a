"""Staff "view as customer": the customer area as the customer sees it, read-only.

The session remembers which customer a member of staff is viewing; the gate then
answers with a read-only membership that is never saved, a banner says so, and any
request that would change something is refused. Start and stop are audited.
"""

from django.http import HttpResponseForbidden
from django.template.loader import render_to_string

from .models import Customer, Membership, Role

SESSION_KEY = "okienko_view_as_customer"
PERMISSION = "customers.view_customer"


def viewed_customer(request) -> Customer | None:
    customer_id = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    if customer_id is None or not request.user.is_authenticated:
        return None
    if not (request.user.is_staff and request.user.has_perm(PERMISSION)):
        return None
    return Customer.objects.filter(pk=customer_id).first()


def read_only_membership(request, customer: Customer) -> Membership:
    membership = Membership(
        user=request.user,
        customer=customer,
        role=Role.READ_ONLY,
        status=Membership.Status.ACTIVE,
    )
    membership.impersonated = True
    return membership


class ReadOnlyWhileViewingMiddleware:
    """While staff view as a customer, nothing on the customer's side may change."""

    ALLOWED = ("/account/view-as/stop/", "/account/logout/", "/admin/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.method not in ("GET", "HEAD", "OPTIONS")
            and not request.path.startswith(self.ALLOWED)
            and request.session.get(SESSION_KEY) is not None
        ):
            return HttpResponseForbidden(
                render_to_string("customers/view_as_read_only.html", request=request)
            )
        return self.get_response(request)


def context(request) -> dict:
    """Template context: the customer being viewed as, for the banner."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    customer = viewed_customer(request)
    return {"viewing_as": customer} if customer else {}
